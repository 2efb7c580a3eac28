"""Module 5 lab, Step 2: src/training/train.py with W&B tracking.

The slides show this file in three parts: the `init`, `loop` and
`finish` regions. Training is simulated, so it runs anywhere:

    WANDB_MODE=offline python train.py
"""

# region init
# Add to src/training/train.py
from pathlib import Path

import wandb


def train_with_wandb():
    # Initialize W&B experiment with its hyperparameters
    wandb.init(
        project="bailab-base-research",
        name=f"experiment-{Path.cwd().name}",
        config={"epochs": 10, "learning_rate": 1e-3},
    )
    # endregion

    # region loop
    # Simulate training loop
    for epoch in range(wandb.config.epochs):
        # Simulate training metrics
        train_loss = 1.0 - (epoch * 0.1)  # Decreasing loss
        val_accuracy = 0.5 + (epoch * 0.05)  # Increasing accuracy
        # Log metrics to W&B
        wandb.log({
            "epoch": epoch,
            "train/loss": train_loss,
            "val/accuracy": val_accuracy,
            "learning_rate": wandb.config.learning_rate,
        })
        print(f"Epoch {epoch}: loss={train_loss:.3f}, "
              f"acc={val_accuracy:.3f}")
    # endregion

    # region finish
    # Save final model (simulated weights), then upload it
    Path("final_model.pth").write_text("simulated weights\n")
    wandb.save("final_model.pth")
    wandb.finish()


if __name__ == "__main__":
    train_with_wandb()
# endregion
