"""Module 5 - Experiment Organization: entity, project, group, name, tags.

The slide shows the `organize` region. `entity` is the W&B team the run
belongs to: online you must be a member of the `bailab` team (or drop the
line to use your personal account); offline it is only recorded.

    WANDB_MODE=offline python organize.py
"""

import wandb

# region organize
# Hierarchical organization
wandb.init(
    entity="bailab",                   # Organization (W&B team)
    project="transformer-research",    # Broad research area
    group="ablation-study",            # Related experiments
    name="attention-heads-8",          # Specific experiment
    tags=["transformer", "attention", "ablation"],
)
# endregion

wandb.log({"val/accuracy": 0.87})  # a stand-in result
wandb.finish()
