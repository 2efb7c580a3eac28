# Run multiple experiments with different hyperparameters
configs = [
    {"learning_rate": 1e-3, "batch_size": 32},
    {"learning_rate": 1e-4, "batch_size": 64},
    {"learning_rate": 5e-4, "batch_size": 16}
]

for i, config in enumerate(configs):
    wandb.init(
        project="bailab-base-research",
        name=f"hyperparameter-sweep-{i}",
        config=config,
        reinit=True
    )
    # Train with current config...
    wandb.finish()
