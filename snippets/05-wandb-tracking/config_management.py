"""Module 5 - Configuration Management: record everything that affects results.

Two slides show the `config` and `init` regions. The values are the
course's example; in a real project read them from your config file and
the environment.

    WANDB_MODE=offline python config_management.py
"""

import wandb

# region config
# Track everything that affects results
config = {
    # Model hyperparameters
    "model_name": "transformer",
    "hidden_size": 768,
    "num_layers": 12,
    # Training hyperparameters
    "learning_rate": 1e-3,
    "batch_size": 32,
    "epochs": 100,
}
# endregion

# region init
config.update({
    # Data configuration
    "dataset_version": "v1.2",
    "preprocessing": "standard",
    # Environment
    "gpu_type": "A100",  # e.g. torch.cuda.get_device_name()
    "framework_version": "torch==2.1.0",  # e.g. torch.__version__
})

# Pass it to wandb.init: the run records every key
run = wandb.init(project="bailab-research", config=config)
# endregion

assert set(config) <= set(run.config.keys())
run.finish()
