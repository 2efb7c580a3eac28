# Log at appropriate intervals
if step % 100 == 0:  # Every 100 steps, not every step
    wandb.log({"train/loss": loss}, step=step)

# Batch log multiple metrics
wandb.log({
    "train/loss": train_loss,
    "train/accuracy": train_acc,
    "val/loss": val_loss,
    "val/accuracy": val_acc
}, step=epoch)
