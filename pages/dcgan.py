"""Lesson: DCGAN -- the paper's architecture guidelines as a working image GAN, sampled live."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from pages.ui.chrome import next_lesson, page_header, show_error
from pages.ui.figures import figure, plot
from pages.query_guard import NumberParam, guard_numbers, show_notes

MODELS = {"dcgan-mnist": "MNIST digits", "dcgan-fashion-mnist": "Fashion-MNIST clothes"}
SEED_MAX = 1_000_000
MAX_SAMPLES = 64


def link_numbers(latent_dim: int) -> list[NumberParam]:
    """The bounds of every bound numeric input on this page, as the widgets below declare them."""
    return [NumberParam("dcgan_seed", 0, SEED_MAX), NumberParam("dcgan_count", 4, MAX_SAMPLES),
            NumberParam("dcgan_interp_a", 1, MAX_SAMPLES), NumberParam("dcgan_interp_b", 1, MAX_SAMPLES),
            NumberParam("dcgan_interp_steps", 3, 16), NumberParam("dcgan_dir_k", 0, latent_dim - 1),
            NumberParam("dcgan_dir_seed", 0, SEED_MAX), NumberParam("dcgan_dir_reach", 0.5, 10.0, integer=False)]


page_header(
    "DCGAN: a convolutional GAN that draws digits and clothes",
    "You will sample two image GANs this project trained itself, walk through their latent space, "
    "watch them learn epoch by epoch, and see every DCGAN guideline next to the layer it shapes.",
)


def _folder_signature(root: str, name: str) -> tuple:
    """Names, sizes and modification times of the model's files: a changed file means a fresh load."""
    folder = Path(root) / name
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()))


@st.cache_resource(show_spinner="Loading the generator...")
def _load_generator(name: str, root: str, signature: tuple):
    from gan_core.images import pretrained

    return pretrained.load(name, root=Path(root))


@st.cache_resource(show_spinner=False)
def _load_classifier(dataset: str, root: str, signature: tuple):
    from gan_core.images import classifier

    return classifier.load(dataset, root=Path(root))


# Everything computed from the model and the settings is cached (keyed by the model's files'
# signature): a page switch back to unchanged settings redraws without running the network.
@st.cache_data(show_spinner=False, max_entries=64)
def _generated(name: str, root: str, signature: tuple, latents: np.ndarray) -> np.ndarray:
    """G(z) for these latents, float32 ``(n, c, 32, 32)`` in [-1, 1]."""
    import torch

    return _load_generator(name, root, signature).generate(torch.from_numpy(latents)).numpy()


@st.cache_data(show_spinner=False, max_entries=8)
def _training_pool(name: str, root: str, signature: tuple) -> np.ndarray | None:
    """The shipped training images, uint8 ``(m, 32, 32)``, or None when they are missing."""
    subset = _load_generator(name, root, signature).training_images()
    return None if subset is None else subset[0].numpy()


@st.cache_data(show_spinner=False, max_entries=64)
def _nearest(name: str, root: str, signature: tuple, latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each sample G(z): index of and distance to its nearest shipped training image."""
    import torch
    from gan_core.images import dcgan

    pool = _training_pool(name, root, signature)
    return dcgan.nearest_images(torch.from_numpy(_generated(name, root, signature, latents)), torch.from_numpy(pool))


@st.cache_data(show_spinner=False, max_entries=8)
def _progression(name: str, root: str, signature: tuple) -> tuple[np.ndarray, list[int]] | None:
    recorded = _load_generator(name, root, signature).progression()
    return None if recorded is None else (recorded[0].numpy(), recorded[1])


@st.cache_data(show_spinner=False, max_entries=8)
def _architecture(name: str, root: str, signature: tuple) -> list[tuple[str, int, "pd.DataFrame"]]:
    """(label, parameter count, layer table) for G and for a D of the card's width."""
    import pandas as pd
    from gan_core.images import dcgan

    sampler = _load_generator(name, root, signature)
    tables = []
    for network, label in ((sampler.generator, "Generator G"),
                           (dcgan.Discriminator(sampler.channels, sampler.card["architecture"].get("ndf", 32)),
                            "Discriminator D")):
        rows = dcgan.architecture_table(network)
        tables.append((label, sum(r["parameters"] for r in rows), pd.DataFrame(
            [{"no.": r["index"], "layer": r["layer"], "output shape (C × H × W)": " × ".join(map(str, r["output_shape"])),
              "parameters": r["parameters"], "guideline": r["guideline"], "why": r["note"]} for r in rows])))
    return tables


@st.cache_data(show_spinner=False, max_entries=64)
def _png(array: np.ndarray) -> bytes:
    from gan_core.images.dcgan import png_bytes

    return png_bytes(array)


name = st.selectbox("Model", list(MODELS), format_func=lambda k: f"{k} ({MODELS[k]})", key="dcgan_model",
                    bind="query-params")

import torch  # noqa: E402  (torch loads here, after the first widget is on screen)

from gan_core.images import dcgan, pretrained  # noqa: E402

root = str(pretrained.PRETRAINED_DIR)
signature = _folder_signature(root, name)
try:
    sampler = _load_generator(name, root, signature)
except pretrained.PretrainedError as exc:
    show_error(f"This model cannot be shown: {exc} Restore the folder pretrained/{name}/ from the repository "
               f"(or retrain it with the command in its card.json) and reload the page.")
    st.stop()

card = sampler.card
# Numbers from a link are checked before their widgets exist: Streamlit turns ?dcgan_seed=inf (or
# 1e400, a 309-digit integer) into an OverflowError with a traceback (issue 20 item 2).
show_notes(guard_numbers(link_numbers(sampler.latent_dim)))
train_info, data_info = card.get("training", {}), card.get("data", {})
st.caption(
    f"Trained on {data_info.get('training_images', '?')} images of {data_info.get('dataset', '?')} for "
    f"{train_info.get('epochs', '?')} epochs ({train_info.get('steps', '?')} steps of batch "
    f"{train_info.get('batch_size', '?')}) in {train_info.get('wall_time_s', 0) / 60:.1f} min on "
    f"{train_info.get('device', '?')}. Data licence: {data_info.get('licence', '?')}. "
    f"Command: `{train_info.get('command', '?')}`"
)

# ------------------------------------------------------------------------------------------ samples
st.header("1. Samples")
st.markdown(
    rf"""
Each image is $G(z)$ for one draw $z \sim \mathcal N(0, I_{{{sampler.latent_dim}}})$. The seed fixes the
draws, so the same seed always gives the same grid (also in a copied link).
"""
)
c1, c2 = st.columns(2)
seed = int(c1.number_input("Seed", min_value=0, max_value=SEED_MAX, value=0, step=1, key="dcgan_seed",
                           bind="query-params"))
count = int(c2.slider("Number of samples", 4, MAX_SAMPLES, 32, 4, key="dcgan_count", bind="query-params"))
z = sampler.latents(count, seed)
images = dcgan.to_uint8_images(torch.from_numpy(_generated(name, root, signature, z.numpy())))
grid = dcgan.image_grid(images, columns=8, scale=3)
st.image(grid, caption=f"{count} samples, seed {seed} (32 × 32 pixels each, shown 3× enlarged)")
st.download_button("Download this grid as PNG", _png(grid), file_name=f"{name}-seed{seed}-n{count}.png",
                   mime="image/png", key="dcgan_download", icon=":material/download:")

# --------------------------------------------------------------------------------- nearest neighbours
st.header("2. Is it copying? Each sample next to its nearest training image")
pool = _training_pool(name, root, signature)
if pool is None:
    show_error("The shipped training images are missing, so the nearest-neighbour check cannot be shown.")
else:
    index, distance = _nearest(name, root, signature, z.numpy())
    pairs = np.concatenate([images[:, :, :], pool[index]], axis=2)  # sample | neighbour, side by side
    st.image(dcgan.image_grid(pairs, columns=4, pad=4, scale=3),
             caption="Left of each pair: the sample; right: the closest of the "
                     f"{len(pool)} shipped training images (Euclidean distance over the 1024 pixels).")
    metrics = card.get("metrics", {})
    st.markdown(
        f"Distance to the nearest shipped training image for the samples above: median "
        f"**{np.median(distance):.2f}**, smallest **{distance.min():.2f}** (pixel values in [−1, 1]; two "
        f"identical images are at 0, and a one-pixel black/white flip alone is 2.0)."
    )
    if "nn_distance_samples_median" in metrics:
        st.markdown(
            f"Over the *whole* training set, measured when the model was trained: median nearest distance "
            f"**{metrics['nn_distance_samples_median']:.2f}** for generated samples versus "
            f"**{metrics['nn_distance_heldout_median']:.2f}** for real held-out images the model never saw. "
            "A generator that memorised its data would sit far closer to the training images than new real "
            "images do."
        )

# ------------------------------------------------------------------------------------- interpolation
st.header("3. Walking from one sample to another")
st.markdown(
    r"""
Linear interpolation $z_t = (1-t)\,z_0 + t\,z_1$ cuts through the middle of the latent ball. In high
dimension almost all Gaussian draws have norm close to $\sqrt d$; the straight line's midpoint has norm
about $\sqrt{d/2}$, a region $G$ never saw in training. Spherical interpolation walks along the arc:
"""
)
st.latex(r"z_t = \frac{\sin((1-t)\,\omega)}{\sin\omega}\,z_0 + \frac{\sin(t\,\omega)}{\sin\omega}\,z_1,"
         r"\qquad \cos\omega = \frac{z_0\cdot z_1}{|z_0|\,|z_1|}")
c1, c2, c3 = st.columns(3)
start = int(c1.number_input("From sample number", 1, MAX_SAMPLES, 1, key="dcgan_interp_a", bind="query-params"))
end = int(c2.number_input("To sample number", 1, MAX_SAMPLES, 2, key="dcgan_interp_b", bind="query-params"))
if max(start, end) > count:
    st.info(f"The grid above has {count} samples; sample numbers above {count} are read as {count}.")
    start, end = min(start, count), min(end, count)
steps = int(c3.slider("Steps", 3, 16, 10, key="dcgan_interp_steps", bind="query-params"))
paths = {m: dcgan.interpolation_path(z[start - 1], z[end - 1], steps, m) for m in ("linear", "spherical")}
strips = {m: dcgan.to_uint8_images(torch.from_numpy(_generated(name, root, signature, p.numpy())))
          for m, p in paths.items()}
strip = dcgan.image_grid(np.concatenate([strips["linear"], strips["spherical"]]), columns=steps, scale=3)
st.image(strip, caption=f"Top row: linear; bottom row: spherical; {steps} steps from sample {start} to {end}.")
plot(figure(dcgan.latent_norm_figure, {m: p.norm(dim=1).numpy() for m, p in paths.items()}, sampler.latent_dim),
     key="dcgan_norms")
animate = st.radio("Animate", ["spherical", "linear"], horizontal=True, key="dcgan_animate", bind="query-params")
plot(figure(dcgan.animation_figure, strips[animate], [f"t = {t:.2f}" for t in np.linspace(0, 1, steps)]),
     key="dcgan_animation")

# ---------------------------------------------------------------------------------------- direction
st.header("4. Moving along one direction")
st.markdown(
    r"Take a few samples and add $a\,u$ to each latent, with $u$ a unit vector and $a$ from $-A$ to $A$. "
    r"One coordinate axis rarely means one visible feature: DCGAN's latent space is entangled."
)
c1, c2, c3 = st.columns(3)
kind = c1.radio("Direction", ["axis", "random"], horizontal=True, key="dcgan_dir_kind", bind="query-params",
                format_func=lambda k: {"axis": "one coordinate z_k", "random": "random unit vector"}[k])
if kind == "axis":
    which = int(c2.number_input("Coordinate k", 0, sampler.latent_dim - 1, 0, key="dcgan_dir_k",
                                bind="query-params"))
else:
    which = int(c2.number_input("Direction seed", 0, SEED_MAX, 0, key="dcgan_dir_seed", bind="query-params"))
reach = float(c3.slider("Reach A (latent units)", 0.5, 10.0, 4.0, 0.5, key="dcgan_dir_reach",
                        bind="query-params"))
u = dcgan.unit_direction(sampler.latent_dim, kind, coordinate=which, seed=which)
amounts = np.linspace(-reach, reach, 9)
walk = dcgan.direction_walk(z[:4], u, torch.tensor(amounts, dtype=torch.float32))
walk_images = dcgan.to_uint8_images(torch.from_numpy(_generated(name, root, signature, walk.numpy())))
st.image(dcgan.image_grid(walk_images, columns=9, scale=3),
         caption="Rows: the first samples of the grid; columns: a = " + ", ".join(f"{a:+.1f}" for a in amounts))

# ----------------------------------------------------------------------------------------- training
st.header("5. How it learned")
progression = _progression(name, root, signature)
history = sampler.losses()
if progression is None or history is None:
    show_error("The training record (progression.safetensors / losses.json) is missing or unreadable for this model.")
else:
    frames, epochs = progression
    epoch = st.select_slider("Epoch", options=epochs, value=epochs[-1], key="dcgan_epoch", bind="query-params")
    st.image(dcgan.image_grid(frames[epochs.index(epoch)], columns=8, scale=3),
             caption=f"The same 16 latents after epoch {epoch} of {epochs[-1]} (batch statistics, as in training).")
    plot(figure(dcgan.loss_curves_figure, history), key="dcgan_losses")
    last = history[-1]
    st.markdown(
        f"In the last epoch: D loss {last['d_loss']:.3f} nats, G loss {last['g_loss']:.3f} nats, "
        f"mean D(x) {last['d_real']:.3f}, mean D(G(z)) {last['d_fake']:.3f}. GAN losses do not fall to zero "
        "like a classifier's: each network's loss is measured against the other, which keeps improving."
    )

# ------------------------------------------------------------------------------------- architecture
st.header("6. The architecture and the guidelines that shaped it")
st.markdown("Radford, Metz and Chintala (2016) found a recipe that trains stably; every rule is in the code:")
st.markdown("\n".join(f"- **{key}**: {text}" for key, text in dcgan.GUIDELINES.items()))
for label, parameters, table in _architecture(name, root, signature):
    st.markdown(f"**{label}**: {parameters:,} parameters")
    st.table(table, hide_index=True)
st.caption("Output shapes are measured by running a tensor through the network, not typed by hand. "
           f"Training: {train_info.get('optimizer', '?')}; {train_info.get('loss', '?')}.")

# ------------------------------------------------------------------------------------------ quality
st.header("7. How good is it? Measured with a classifier")
metrics = card.get("metrics", {})
if "class_histogram" not in metrics:
    show_error("This model's card has no quality metrics yet (run the training script's --evaluate-only).")
else:
    clf_card = {}
    try:
        clf_card = pretrained.read_card(metrics.get("classifier", ""))
    except pretrained.PretrainedError:
        pass
    accuracy = clf_card.get("metrics", {}).get("test_accuracy")
    st.markdown(
        f"No Inception network exists offline, so a small CNN trained on the same data judges the samples"
        + (f" (test accuracy **{100 * accuracy:.1f}%** on {clf_card['data']['test_images']} held-out images)"
           if accuracy is not None else "")
        + f". Over **{metrics['samples']:,}** samples:"
    )
    plot(figure(dcgan.class_histogram_figure, metrics["class_histogram"]), key="dcgan_hist")
    cols = st.columns(4)
    cols[0].metric("Classes present", f"{metrics['classes_present']} of {len(metrics['class_histogram'])}")
    cols[1].metric("KL(histogram ‖ uniform)", f"{metrics['kl_to_uniform_nats']:.4f} nats",
                   help="0 when every class is equally frequent; ln 10 = 2.303 nats if all samples are one class.")
    real_conf = metrics.get("real_mean_confidence")
    cols[2].metric("Mean classifier confidence", f"{100 * metrics['mean_confidence']:.1f}%",
                   delta=f"real held-out images {100 * real_conf:.1f}%" if real_conf is not None else None,
                   delta_color="off",
                   help="Average of the largest class probability: low values mean ambiguous images.")
    cols[3].metric("Fréchet distance", f"{metrics['frechet_distance']:.2f}",
                   delta=f"real vs real floor {metrics['frechet_distance_real_vs_real']:.2f}", delta_color="off",
                   help="FID's formula on the classifier's 128 penultimate features, in squared feature units; "
                        + metrics.get("frechet_reference", ""))
    draws = metrics.get("draws") or {}
    if len(draws.get("mean_confidence", [])) > 1 and len(draws.get("frechet_distance", [])) > 1:
        conf, fd = draws["mean_confidence"], draws["frechet_distance"]
        st.caption(
            f"Both are estimates from {draws.get('samples_each', metrics['samples']):,} samples. Over {len(conf)} "
            f"independent draws of that size (seeds {draws['seeds'][0]}-{draws['seeds'][-1]}) the confidence ranged "
            f"{100 * min(conf):.1f}-{100 * max(conf):.1f}% and the Fréchet distance {min(fd):.2f}-{max(fd):.2f}: "
            "two models closer than that cannot be told apart by these numbers.")
    st.latex(r"d_F^2 = \lVert\mu_g-\mu_r\rVert^2 + \operatorname{tr}\big(\Sigma_g+\Sigma_r-"
             r"2(\Sigma_g\Sigma_r)^{1/2}\big)")
    st.markdown(
        "The floor is the distance between two sets of *real* images: even a perfect generator would not go "
        "below it with these sample sizes."
    )

try:
    next_lesson(__file__, [
        "Strided and transposed convolutions, batch norm and the right activations turn the GAN game into one that "
        "trains on images in minutes on a CPU.",
        "Samples are new images, not copies: their nearest training images differ visibly.",
        "Spherical interpolation keeps the latent at the norm G was trained on.",
    ])
except StreamlitPageNotFoundError:  # the page run on its own (AppTest) has no navigation to link to
    pass
