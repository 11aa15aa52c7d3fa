import ast

import pytest

from azr_env.errors import ConfigError
from azr_env.generators import GeneratorConfig, ProgramGenerator
from azr_env.tasks.program_checks import check_program


def test_random_access_is_reproducible():
    a, b = ProgramGenerator(seed=3), ProgramGenerator(seed=3)
    assert [a.sample(i) for i in (5, 1, 9)] == [b.sample(i) for i in (5, 1, 9)]
    assert a.inputs(a.sample(4), 4, 3) == b.inputs(b.sample(4), 4, 3)
    assert ProgramGenerator(seed=4).sample(5) != a.sample(5)


def test_programs_pass_the_static_rules_and_are_diverse():
    gen = ProgramGenerator(seed=0)
    programs = [gen.sample(i).code for i in range(300)]
    assert all(check_program(p)[1] is None for p in programs)
    assert len(set(programs)) > 255
    assert sum("for " in p for p in programs) > 30 and sum("f(" in p.split("\n", 1)[1] for p in programs) > 10


def test_knobs_shape_the_programs():
    flat = ProgramGenerator(GeneratorConfig(max_nesting=0, operations=("string",), min_steps=3, max_steps=3))
    for i in range(50):
        program = flat.sample(i)
        nodes = list(ast.walk(ast.parse(program.code)))
        assert program.input_type == "str" and not any(isinstance(n, ast.For) for n in nodes)
        assert len([n for n in nodes if isinstance(n, ast.Assign)]) == 3
    deep = ProgramGenerator(GeneratorConfig(max_nesting=2, block_probability=1.0, operations=("list",)))
    assert any(p.count("            ") for p in (deep.sample(i).code for i in range(20)))


def test_risky_programs_end_with_an_operation_that_can_raise():
    gen = ProgramGenerator(seed=0)
    assert sum("risky =" in gen.sample(i, risky=True).code for i in range(50)) > 30


@pytest.mark.parametrize(
    "kwargs",
    [{"operations": ("quantum",)}, {"operations": ()}, {"min_steps": 3, "max_steps": 2}, {"max_nesting": -1},
     {"block_probability": 2.0}, {"value_size": 0}],
)  # fmt: skip
def test_config_errors_name_the_value(kwargs):
    with pytest.raises(ConfigError):
        GeneratorConfig(**kwargs)
