"""The 2-D training lab: mixtures, networks, losses, metrics, the trainer and its CLI, the session
state and worker process behind the lab page, the run registry, and the lab's figures and pictures.
Imports only the shared layer (gan_core.palette, gan_core.exports), never lessons/ or images/."""
