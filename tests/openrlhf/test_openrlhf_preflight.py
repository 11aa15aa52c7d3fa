"""Start-up checks on every Ray node (agents/openrlhf/preflight.py): shared run folder and sandbox (issue 14).

The cluster check runs a real Ray task on every alive node of a real local Ray instance; a second node that
cannot see the head's files, or has no bubblewrap, is shown by its report (one machine has one node).
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

from azr_agents.openrlhf import entry, preflight, presets

from azr_env.errors import ConfigError


def test_every_node_reads_the_marker_and_reports_its_sandbox(ray_local, tmp_path):
    reports = preflight.check_cluster(str(tmp_path / "ckpt"), str(tmp_path / "buffers"), allow_weak=False)
    assert len(reports) == len([n for n in ray_local.nodes() if n["Alive"]]) >= 1
    assert all(r["isolation"] == "bwrap" and not r["unseen_markers"] for r in reports)
    record = json.loads((tmp_path / "ckpt" / preflight.NODES_FILE).read_text())  # the run's record
    assert [r["isolation"] for r in record] == ["bwrap"] * len(reports) and record[0]["host"]


def test_a_node_with_its_own_disk_is_refused_by_name(tmp_path):
    """Issue 14 item 5: the trainer may land on any node; buffers and checkpoints must be on shared storage."""
    markers = preflight.write_markers([str(tmp_path / "ckpt")])
    head = dict(preflight.node_report(markers), node="10.0.0.1")
    (tmp_path / "ckpt" / preflight.MARKER).unlink()  # what a node with its own /scratch sees
    other = dict(preflight.node_report(markers), node="10.0.0.2")
    assert not head["unseen_markers"] and other["unseen_markers"] == list(markers)
    with pytest.raises(ConfigError, match=r"node\(s\) 10\.0\.0\.2 .*cannot read .*shared by every node"):
        preflight.check_reports([head, other], allow_weak=False)


def test_a_node_without_bubblewrap_is_refused_unless_allowed_and_recorded(tmp_path):
    """Issue 14 item 3, per node: GPU nodes in containers often lack a usable bubblewrap."""
    good = {"node": "a", "host": "gpu-a", "unseen_markers": [], "bwrap": True}
    bad = {"node": "b", "host": "gpu-b", "unseen_markers": [], "bwrap": False}
    with pytest.raises(ConfigError, match=r"not usable on node b \(gpu-b\).*--azr.allow_weak_sandbox 1"):
        preflight.check_reports([dict(good), dict(bad)], allow_weak=False)
    reports = preflight.check_reports([dict(good), dict(bad)], allow_weak=True)
    assert [r["isolation"] for r in reports] == ["bwrap", "fallback"]


def test_the_launch_hooks_check_every_node_before_any_actor_starts(ray_local, tmp_path, monkeypatch):
    """`train()` calls get_strategy right after ray.init and before placement groups, engines or DeepSpeed
    actors; under the AZR hooks that call runs the cluster check first."""
    import openrlhf.utils as openrlhf_utils

    opts = presets.LaunchOptions(output_dir=str(tmp_path / "run"), agent_file=entry.agent_func_path())
    args = entry.check_args(presets.train_args(presets.get_preset("qwen2.5-coder-3b-2gpu"), opts))
    order = []
    monkeypatch.setattr(preflight, "check_cluster", lambda *a: order.append(("check", a)))
    monkeypatch.setattr(openrlhf_utils, "get_strategy", lambda a: order.append(("strategy", a)))
    with entry.azr_hooks():
        from openrlhf.utils import get_strategy  # what train_ppo_ray imports

        get_strategy(args)
    assert [o[0] for o in order] == ["check", "strategy"]
    assert order[0][1] == (args.ckpt.path, None, False)
