# Log metrics during training (most important)
for epoch in range(config.epochs):
    train_loss = train_epoch(model, train_loader)
    val_acc = validate(model, val_loader)
    
    wandb.log({
        "epoch": epoch,
        "train/loss": train_loss,
        "val/accuracy": val_acc,
        "learning_rate": optimizer.param_groups[0]['lr']
    })

# Save model artifacts
wandb.save("model.pth")
wandb.finish()  # End experiment
