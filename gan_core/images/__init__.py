"""The image models: DCGAN and CycleGAN, the classifiers that judge them, their data, checked loading
of the shipped weights, safe decoding of uploads, and the training CLIs.
Imports only the shared layer, never lessons/ or lab/."""
