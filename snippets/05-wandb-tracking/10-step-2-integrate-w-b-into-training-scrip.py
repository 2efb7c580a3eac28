# Add to src/training/train.py
import wandb
from pathlib import Path

def train_with_wandb():
    # Initialize W&B experiment
    wandb.init(
        project="bailab-base-research",
        name=f"experiment-{Path.cwd().name}",
    )
    
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
            "learning_rate": wandb.config.learning_rate
        })
        
        print(f"Epoch {epoch}: loss={train_loss:.3f}, acc={val_accuracy:.3f}")
    
    # Save final model
    wandb.save("final_model.pth")
    wandb.finish()

if __name__ == "__main__":
    train_with_wandb()
