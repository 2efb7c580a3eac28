# Core usage pattern covers most research needs
import wandb

# Initialize experiment (start of training script)
wandb.init(
    project="bailab-research",              # Project name
    name="transformer-experiment-1",        # Experiment name
    config={                                # Hyperparameters
        "learning_rate": 1e-3,
        "batch_size": 32,
        "epochs": 100,
        "model": "transformer",
        "dataset": "bailab-dataset-v1"
    }
)

