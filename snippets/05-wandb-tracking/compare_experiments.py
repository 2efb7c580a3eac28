"""Module 5 lab, Step 4: one W&B run per hyperparameter setting.

The slide shows the `sweep` region; `train` below is a stand-in for the
real training function. Compare the runs side by side in the project's
table view afterwards.

    WANDB_MODE=offline python compare_experiments.py
"""

import math

import wandb


def train(config):
    """Stand-in training: log a loss curve shaped by the learning rate."""
    for epoch in range(5):
        loss = math.exp(-config.learning_rate * 1000 * (epoch + 1))
        wandb.log({"epoch": epoch, "val/loss": loss})


# region sweep
# Run multiple experiments with different hyperparameters
configs = [
    {"learning_rate": 1e-3, "batch_size": 32},
    {"learning_rate": 1e-4, "batch_size": 64},
    {"learning_rate": 5e-4, "batch_size": 16},
]

for i, config in enumerate(configs):
    with wandb.init(  # `with` ends each run; no reinit=True
        project="bailab-base-research",
        name=f"hyperparameter-sweep-{i}",
        config=config,
    ) as run:
        train(run.config)  # Train with current config...
# endregion
