# Log additional artifacts
wandb.log({
    "predictions": wandb.Table(data=predictions_df),
    "confusion_matrix": wandb.plot.confusion_matrix(y_true, y_pred),
    "sample_images": [wandb.Image(img) for img in sample_batch]
})

# Track gradients and model topology
wandb.watch(model, log="all")
