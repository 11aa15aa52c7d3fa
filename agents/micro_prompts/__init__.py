"""Compact prompt templates for the cpu-micro preset (TaskConfig.template_dir); see docs/trainer.md.

Same blocks and answer format as the packaged templates, without the long instructions: a byte-level model
with a 1.5k-token window cannot afford 2k-character prompts, and cannot read instructions anyway.
"""

from pathlib import Path

MICRO_TEMPLATE_DIR = str(Path(__file__).parent)
