"""The 1-D lessons: divergences of toy densities, the GAN objective, gradients, f-GAN, optimal transport,
and their figures.  Imports only numpy/scipy/torch and the shared layer (gan_core.palette)."""
