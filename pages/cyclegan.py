"""Lesson: CycleGAN -- unpaired translation, and why the cycle term keeps the content."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from pages.images.cyclegan_quality import has_baselines, quality_rows, quality_sentences
from pages.ui.chrome import next_lesson, page_header, show_error

MODELS = {
    "cyclegan-digits": "handwritten ↔ printed digits",
    "cyclegan-emoji": "Noto emoji ↔ Twemoji",
}
NO_CYCLE = {"cyclegan-digits": "cyclegan-digits-nocycle"}
DOMAIN_LABELS = {"handwritten": "handwritten", "printed": "printed", "noto": "Google Noto", "twemoji": "Twemoji"}
DIRECTION_LABELS = {"a2b": "A → B", "b2a": "B → A"}
SHOW_SCALE = 4  # 32 px shown at 128 px

page_header(
    "CycleGAN: translation without pairs",
    "You will push your own digit or emoji through two generators and back, see how far the round "
    "trip lands from where it started (the cycle loss), and compare with a model trained without that term.",
)


def _folder_signature(root: str, name: str) -> tuple:
    """File names, sizes and times: a retrained model is reloaded instead of served stale."""
    folder = Path(root) / name
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()))


@st.cache_resource(show_spinner="Loading the generators...")
def _load(name: str, root: str, signature: tuple):
    from gan_core.images import pretrained

    return pretrained.load(name, root=Path(root))


def _picture(image_chw: np.ndarray, scale: int = SHOW_SCALE):
    """uint8 (C, H, W) -> PIL image enlarged with nearest neighbour (pixels stay visible)."""
    from PIL import Image

    array = image_chw.transpose(1, 2, 0)
    array = array[..., 0] if array.shape[2] == 1 else array
    picture = Image.fromarray(np.ascontiguousarray(array))
    return picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)


def _strip(images_nchw: np.ndarray, columns: int = 16, pad: int = 2, scale: int = 3):
    """The gallery as a grid (``columns`` per row) of uint8 images with grey gaps."""
    n, c, h, w = images_nchw.shape
    rows = -(-n // columns)
    canvas = np.full((c, rows * (h + pad) + pad, columns * (w + pad) + pad), 128, np.uint8)
    for k in range(n):
        r, col = divmod(k, columns)
        canvas[:, pad + r * (h + pad):pad + r * (h + pad) + h, pad + col * (w + pad):pad + col * (w + pad) + w] = images_nchw[k]
    return _picture(canvas, scale)


def _to_uint8(images) -> np.ndarray:
    from gan_core.images.image_data import to_uint8  # the one [-1, 1] -> 0..255 conversion

    return to_uint8(images)


def _drawing_canvas():
    """The drawing widget if streamlit-drawable-canvas is installed and usable, else None."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # not installed, or its component could not register
        return None
    return st_canvas


from gan_core.images import pretrained  # noqa: E402  (no torch yet)
from gan_core.images.image_data import to_signed  # noqa: E402  (the one 0..255 -> [-1, 1] conversion; no torch yet)

root = str(pretrained.PRETRAINED_DIR)
available = [name for name in MODELS if (Path(root) / name / "card.json").is_file()]
if not available:
    show_error("No CycleGAN model is installed in pretrained/. Train one with "
               "`python -m gan_core.images.train_cyclegan --task digits`.")
    st.stop()

left, right = st.columns(2)
name = left.selectbox("Model", available, format_func=lambda k: f"{k} ({MODELS[k]})", key="cg_model",
                      bind="query-params")
try:
    card = pretrained.read_card(name, Path(root))
except pretrained.PretrainedError as exc:
    show_error(f"The model could not be loaded: {exc}")
    st.stop()
domain_a, domain_b = (DOMAIN_LABELS.get(d, d) for d in card["domains"])
# The options' labels must not depend on the model: the browser keeps the label it last showed and
# sends it back after a model switch; a label of the other model used to come back as the direction
# itself (ValueError in round_trip). Fixed labels (A/B) keep the choice across models, the domain
# names go in the captions, and DIRECTION_LABELS.get maps anything unknown to no valid label, so
# Streamlit resets it to the default instead of passing it on.
direction = right.radio(
    f"Direction (A: {domain_a}, B: {domain_b})", list(DIRECTION_LABELS), horizontal=True, key="cg_direction", bind="query-params",
    format_func=lambda d: DIRECTION_LABELS.get(d, f"unknown: {d}"),
    captions=[f"{domain_a} → {domain_b}", f"{domain_b} → {domain_a}"],
)
if direction not in DIRECTION_LABELS:  # belt and braces: never hand an unknown direction to the model
    direction = "a2b"
source_domain, target_domain = (domain_a, domain_b) if direction == "a2b" else (domain_b, domain_a)
is_digits = card["architecture"]["channels"] == 1
objective = card.get("objective", {})
lam = float(objective.get("lambda_cycle", 10.0))  # the weights this model was trained with
lam_id = float(objective.get("lambda_identity", 5.0))
if lam_id == 0:
    identity_weight_words = "switched off in this model (its weight is 0)"
elif lam_id == 0.5 * lam:
    identity_weight_words = f"weighted {lam_id:g}, half the cycle weight (the reference setting)"
else:
    identity_weight_words = f"weighted {lam_id:g}"
lam_sem = float(objective.get("lambda_semantic", 0.0))  # CyCADA's semantic term, when the model has one

import torch  # noqa: E402  (torch loads after the first widgets are on screen)

from gan_core.images import cyclegan  # noqa: E402

try:
    model = _load(name, root, _folder_signature(root, name))
except pretrained.PretrainedError as exc:
    show_error(f"The model could not be loaded: {exc}")
    st.stop()

sources = ["Gallery", "Upload"] + (["Draw"] if is_digits else [])
source = st.radio("Input", sources, horizontal=True, key="cg_source", bind="query-params",
                  help="Gallery: held-out images the model never trained on. Upload: any image file. "
                       "Draw: sketch a digit with the mouse.")

gallery = model.gallery()
key = "a" if direction == "a2b" else "b"
x = None  # the input, (1, C, 32, 32) in [-1, 1]
label = None  # the digit label, when known
true_counterpart = None  # emoji: the same code point drawn in the other set
caption = ""
if source == "Gallery":
    if not gallery:
        show_error("This model ships no gallery; upload an image instead.")
    else:
        images = gallery[key]
        st.image(_strip(images.numpy()), caption=f"Gallery of {len(images)} held-out {source_domain} images "
                                                 "(numbered 1, 2, ... left to right, row by row; 32 × 32 pixels shown 3×).")
        index = st.slider("Gallery image", 1, len(images), 1, key="cg_example", bind="query-params") - 1
        x = to_signed(images[index:index + 1])
        if f"{key}_labels" in gallery:
            label = int(gallery[f"{key}_labels"][index])
            caption = f"gallery image {index + 1}: the digit {label}"
        else:
            names = model.gallery_names()
            caption = f"gallery image {index + 1}: {names[index] if index < len(names) else ''}"
            other = "b" if key == "a" else "a"
            true_counterpart = to_signed(gallery[other][index:index + 1])
elif source == "Upload":
    from gan_core.images.uploads import UploadError, decode_upload

    upload = st.file_uploader(
        "Upload an image (any format Pillow reads; it is converted to 32 × 32" +
        (", white digit on black)" if is_digits else ", transparency on white)"),
        type=None, key="cg_upload")
    if upload is not None:
        try:
            result = decode_upload(upload.getvalue(), "digit" if is_digits else "colour")
        except UploadError as exc:
            show_error(str(exc))
        else:
            x = result.tensor
            caption = f"your upload ({result.original_size[0]} × {result.original_size[1]} px, {result.original_mode})"
            for note in result.notes:
                st.caption(note)
else:  # Draw
    st_canvas = _drawing_canvas()
    if st_canvas is None:
        st.info("Drawing needs the package streamlit-drawable-canvas, which is not installed here. "
                "Upload a photo of a digit on paper instead.")
    else:
        from gan_core.images.uploads import UploadError, decode_upload

        st.caption("Draw one digit, large, with the mouse or a finger (white on black, like MNIST).")
        drawing = st_canvas(stroke_width=16, stroke_color="#FFFFFF", background_color="#000000",
                            height=224, width=224, drawing_mode="freedraw", return_image_data=True,
                            key="cg_canvas")
        data = getattr(drawing, "image_bytes", None) if drawing is not None else None
        if data:
            try:
                result = decode_upload(data, "digit")
                x = result.tensor
                caption = "your drawing, framed like MNIST (20 px box, centred)"
            except UploadError as exc:
                st.info(str(exc))

if x is None:
    st.info("Pick, upload or draw an input to see its round trip.")
else:
    out = model.round_trip(x, direction)
    cycle_l1 = float(out["cycle_l1"][0])
    identity_l1 = float(out["identity_l1"][0])
    G_name, F_name = ("G", "F")
    columns = st.columns(4)
    shown = [
        ("input", f"① x — {source_domain} ({caption})"),
        ("translated", f"② G(x) — translated to {target_domain}"),
        ("reconstructed", f"③ F(G(x)) — translated back to {source_domain}"),
        ("identity", f"④ F(x) — the {source_domain} image fed to the generator *into* {source_domain}"),
    ]
    probabilities = {k: model.classify(out[k]) for k, _ in shown} if is_digits else {}
    for column, (part, text) in zip(columns, shown):
        column.image(_picture(_to_uint8(out[part])[0]), caption=text, width="stretch")
        if probabilities.get(part) is not None:
            p = probabilities[part][0]
            column.caption(f"classifier reads: {int(p.argmax())} ({float(p.max()):.0%} sure)")
    m1, m2, m3 = st.columns(3)
    m1.metric("Cycle L1 ‖F(G(x)) − x‖₁ / pixels", f"{cycle_l1:.3f}",
              help="Mean absolute difference per pixel between ③ and ①, pixels in [-1, 1] (so 0 to 2); "
                   f"{cycle_l1 * 127.5:.1f} grey levels out of 255.")
    m2.metric("Identity L1 ‖F(x) − x‖₁ / pixels", f"{identity_l1:.3f}",
              help="Mean absolute difference per pixel between ④ and ①, pixels in [-1, 1].")
    if true_counterpart is not None:
        translated_l1 = float((out["translated"] - true_counterpart).abs().mean())
        nothing_l1 = float((x - true_counterpart).abs().mean())
        m3.metric(f"L1 to the true {target_domain} image / pixels", f"{translated_l1:.3f}",
                  delta=f"{translated_l1 - nothing_l1:+.3f} vs doing nothing ({nothing_l1:.3f})", delta_color="inverse",
                  help="Both sets draw the same emoji, so the held-out gallery has the true answer. "
                       "Doing nothing = comparing the untranslated input with it.")
        st.image(_picture(_to_uint8(true_counterpart)[0]), caption=f"The true {target_domain} drawing of this emoji")
    elif label is not None and probabilities:
        kept = int(probabilities["translated"][0].argmax()) == label
        m3.metric("Digit kept by G(x)?", "yes" if kept else "no",
                  help=f"The shipped classifier reads ② as {int(probabilities['translated'][0].argmax())}; "
                       f"the input is a {label}.")

    # The download sits under the result; it is filled in once the comparison row (if shown) is known.
    download_slot = st.container()
    grid_rows = [[(_picture(_to_uint8(out[part])[0], 6), text.replace("*", "")) for part, text in shown]]

    st.subheader("The objective, term by term")
    d_layers = int(card["architecture"].get("d_layers", 2))
    # The side of the patch one score sees: the trainer writes it on the card; older cards get it
    # from the same convolutions (cyclegan.PatchDiscriminator.receptive_field).
    patch_px = card["architecture"].get("discriminator_receptive_field_px") or cyclegan.define_D(
        {**card["architecture"], "d_layers": d_layers}).receptive_field
    patch_grid = model.size // 2**d_layers - 2  # stride-2 layers, then two 4x4 stride-1 convs
    st.markdown(f"With $G$ the generator {source_domain} → {target_domain} and $F$ the one back "
                "(the source text's $G_{xy}$ and $G_{yx}$), the generators minimise this objective while each "
                "discriminator, $D_X$ and $D_Y$, plays against its generator inside $\\mathcal{L}_{GAN}$:")
    st.latex(r"\begin{aligned}\mathcal{L} ={}& \underbrace{\mathcal{L}_{GAN}(G, D_Y)}_{\text{②}} + \mathcal{L}_{GAN}(F, D_X)\\"
             r"&+ \lambda_{cyc}\big(\underbrace{\mathbb{E}_x\|F(G(x)) - x\|_1}_{\text{③ vs ①}}"
             r" + \mathbb{E}_y\|G(F(y)) - y\|_1\big)\\"
             r"&+ \lambda_{id}\big(\mathbb{E}_y\|G(y) - y\|_1 + \underbrace{\mathbb{E}_x\|F(x) - x\|_1}_{\text{④ vs ①}}\big)"
             + (r"\\&+ \lambda_{sem}\big(\underbrace{\mathbb{E}_x\,\mathrm{CE}\big(C(G(x)),\, \hat c(x)\big)}_{\text{② read as ①}}"
                r" + \mathbb{E}_y\,\mathrm{CE}\big(C(F(y)),\, \hat c(y)\big)\big)" if lam_sem > 0 else "")
             + r"\end{aligned}")
    weights = f"$\\lambda_{{cyc}} = {lam:g}$" + (", " if lam_sem > 0 else " and ") + f"$\\lambda_{{id}} = {lam_id:g}$"
    if lam_sem > 0:
        weights += f" and $\\lambda_{{sem}} = {lam_sem:g}$"
    st.markdown(f"with {weights}. Each $\\mathcal{{L}}_{{GAN}}$ is the "
                "least-squares GAN loss (LSGAN): the discriminator pushes its score towards 1 on real images and "
                "0 on generated ones, the generator pushes the score of its images towards 1:")
    st.latex(r"\min_{D_Y}\; \mathbb{E}_y\big[(D_Y(y) - 1)^2\big] + \mathbb{E}_x\big[D_Y(G(x))^2\big],"
             r"\qquad \min_G\; \mathbb{E}_x\big[(D_Y(G(x)) - 1)^2\big]")
    st.markdown(
        f"- **Adversarial term → picture ②.** $D_Y$ has seen thousands of real {target_domain} images and gives ② "
        f"a {patch_grid} × {patch_grid} grid of real-or-fake scores, one per overlapping patch of {patch_px} × {patch_px} "
        f"pixels (a PatchGAN); $G$ is pushed until ② looks {target_domain}. "
        "Alone it only asks for *some* plausible image: nothing says it must be *this* input's content. "
        "(The discriminators are needed only for training and are not shipped.)\n"
        f"- **Cycle term → ③ against ①.** Translating there and back must return the input. For this image "
        f"‖F(G(x)) − x‖₁ = {cycle_l1:.3f} per pixel, which would add λ_cyc × {cycle_l1:.3f} = "
        f"{lam * cycle_l1:.2f} to the loss (λ_cyc = {lam:g}). To make ③ match ①, ② must keep enough "
        "of the input to rebuild it — that is what keeps the content"
        + (" (in this model together with the semantic term below, which holds the digit's class).\n"
           if lam_sem > 0 else ".\n") +
        f"- **Identity term → ④ against ①.** An image that already belongs to a generator's output domain "
        f"should pass through unchanged: ‖F(x) − x‖₁ = {identity_l1:.3f}; the term is {identity_weight_words}. "
        "It keeps colours and tones from drifting; the source "
        "text's objective leaves it out, the CycleGAN paper adds it for paintings ↔ photos."
        + ("\n- **Semantic term → ② must be read as the same digit as ①.** A frozen digit classifier $C$ "
           "(trained on real images of both domains, and not the judge of the quality table below) reads ①; "
           "$\\hat c(x)$ is its answer, and the cross-entropy of $C$ on ② against that answer is "
           f"weighted {lam_sem:g}. It asks only for the *class*, so the generator is free to redraw the strokes "
           "in the other style, where the pixel-wise cycle and identity terms would hold them in place. This "
           "is CyCADA's semantic consistency (Hoffman et al. 2018, arXiv:1711.03213, eq. 4), not part of "
           "the original CycleGAN; `docs/cyclegan_study.md` says why this model needs it." if lam_sem > 0 else "")
    )

    if name in NO_CYCLE and (Path(root) / NO_CYCLE[name] / "card.json").is_file():
        if st.toggle("Compare with a model trained without the cycle term (λ_cyc = 0)", key="cg_nocycle",
                     bind="query-params"):
            try:
                plain = _load(NO_CYCLE[name], root, _folder_signature(root, NO_CYCLE[name]))
            except pretrained.PretrainedError as exc:
                show_error(f"The comparison model could not be loaded: {exc}")
            else:
                plain_out = plain.round_trip(x, direction)
                cols = st.columns(4)
                cols[0].image(_picture(_to_uint8(x)[0]), caption="① x (same input)", width="stretch")
                cols[1].image(_picture(_to_uint8(plain_out["translated"])[0]), caption="② G(x) without the cycle term", width="stretch")
                cols[2].image(_picture(_to_uint8(plain_out["reconstructed"])[0]), caption="③ F(G(x)) without it", width="stretch")
                cols[3].image(_picture(_to_uint8(plain_out["identity"])[0]), caption="④ F(x) without it", width="stretch")
                grid_rows.append([(_picture(_to_uint8(x)[0], 6), "① x (same input)"),
                                  (_picture(_to_uint8(plain_out["translated"])[0], 6), "② G(x) without the cycle term"),
                                  (_picture(_to_uint8(plain_out["reconstructed"])[0], 6), "③ F(G(x)) without it"),
                                  (_picture(_to_uint8(plain_out["identity"])[0], 6), "④ F(x) without it")])
                plain_cycle = float(plain_out["cycle_l1"][0])
                st.metric("Cycle L1 without the cycle term / pixels", f"{plain_cycle:.3f}",
                          delta=f"{plain_cycle - cycle_l1:+.3f} vs the full model", delta_color="inverse")
                if gallery and model.classifier is not None:
                    g = to_signed(gallery[key])
                    labels = gallery.get(f"{key}_labels")
                    rows = []
                    for title, m in (("with cycle term", model), ("without cycle term", plain)):
                        trip = m.round_trip(g, direction)
                        row = {"model": title, "mean cycle L1 / pixels": f"{float(trip['cycle_l1'].mean()):.3f}"}
                        if labels is not None:
                            read = model.classify(trip["translated"]).argmax(1)
                            row["digits kept by G (of %d)" % len(g)] = int((read == labels).sum())
                            row["different digits in G's output"] = len(set(read.tolist()))
                        rows.append(row)
                    st.markdown(f"Over the whole gallery ({len(g)} held-out {source_domain} images), "
                                "read by the same classifier:")
                    st.table(rows, hide_index=True)
                why_cycle = ("Adversarial losses alone often send every input to one convincing output: the "
                             "CycleGAN paper (Zhu et al. 2017, arXiv:1703.10593, "
                             "section 1) reports this mode collapse when the adversarial objective is optimised "
                             "alone, and its section 3.2 adds that even without it, any shuffling of the target "
                             "images fools the discriminator as well: the two reasons for the cycle term.")
                plain_sem = float(plain.card.get("objective", {}).get("lambda_semantic", 0.0))
                if plain_sem > 0 and lam_sem > 0:
                    st.caption("Both models carry the semantic term, and it alone makes the translation keep the "
                               "digit's *class*: so here, without the cycle term, the digits are still kept (the "
                               "table). What the cycle term could add is what the class does not fix, a round trip "
                               f"③ that returns *this* input's own strokes; at this model's small weight (λ_cyc = {lam:g}) "
                               "the two differ little there too (the mean cycle L1). Without a classifier, as in the "
                               "original CycleGAN, nothing but the cycle term would hold the digit. " + why_cycle)
                else:
                    st.caption("Without the cycle term each generator only has to fool its discriminator: it "
                               "may draw a tidy digit, but nothing forces it to be the same digit, and "
                               "the way back cannot recover the input. " + why_cycle + " Count the "
                               "different digits in the last column.")

if x is not None:
    from gan_core.exports import captioned_grid

    what = f"gallery{index + 1}" if source == "Gallery" else {"Upload": "upload", "Draw": "drawing"}[source]
    download_slot.download_button(
        "Download these pictures as PNG", data=lambda rows=grid_rows: captioned_grid(rows),
        file_name=f"{name}-{direction}-{what}.png", mime="image/png", key="cg_download",
        icon=":material/download:", on_click="ignore",
        help="The round trip above" + (" and the comparison without the cycle term" if len(grid_rows) > 1 else "")
             + ", with their captions, in one picture.")

st.subheader("How good is it? Measured on held-out images")
metrics = card.get("metrics", {})
rows = quality_rows(metrics, (domain_a, domain_b))
if not rows:
    st.info("This model's card has no quality measurements yet (the training script's evaluation writes them).")
else:
    held_out = metrics.get("held_out_images", {})
    st.markdown(
        "Measured by the training script on images the model never saw"
        + (f" ({held_out.get('a', '?')} {domain_a} and {held_out.get('b', '?')} {domain_b})" if held_out else "")
        + ", next to what the same measurement gives without the model: the untranslated input (doing nothing) "
          "and, where measured, a 3×3 blur of it. A translation is worth something only where it beats them.")
    st.table(rows, hide_index=True)
    sentences = quality_sentences(metrics, (domain_a, domain_b))
    if sentences:
        st.markdown("**In words:**\n" + "\n".join(f"- {sentence}" for sentence in sentences))
    elif not has_baselines(metrics):
        st.caption("This card has no baseline figures yet (the untranslated input, a blur): the numbers say "
                   "how much the model keeps, not whether it translates.")
    definitions = metrics.get("definitions", {})
    if definitions:
        with st.expander("How each number is measured (from the card)"):
            st.markdown("\n".join(f"- `{key}`: {text}" for key, text in definitions.items()
                                   if isinstance(text, str) and key in metrics))

with st.expander("Where the models and pictures come from"):
    data = card.get("data", {})
    training = card.get("training", {})
    st.markdown(
        f"**{card.get('title', name)}.** Trained by this project: `{training.get('command', '?')}`, "
        f"{training.get('epochs', '?')} epochs, {training.get('wall_time_s', '?')} s on {training.get('device', '?')}."
        + (f" Shipped weights: {training['weights_shipped']}." if training.get("weights_shipped") else "") + "\n\n"
        f"- Domain A: {data.get('a', '')}\n- Domain B: {data.get('b', '')}\n- Licence: {data.get('licence', '')}"
    )
    if not is_digits:
        st.markdown("Emoji artwork: Noto Emoji © Google, Apache License 2.0; Twemoji © Twitter, Inc and other "
                    "contributors, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/); both via the "
                    "emoji-datasource npm packages by Cal Henderson (MIT). Images were downscaled to 32 × 32.")

next_lesson(__file__, [
    "G(x) alone can look right without keeping the input's content; the cycle term ③ vs ① ties them.",
    f"The cycle loss is a plain L1 distance per pixel, weighted {lam:g} in this model; the identity term ④ vs ① "
    f"is {identity_weight_words}"
    + (f"; a semantic term (weighted {lam_sem:g}) keeps the digit's class." if lam_sem > 0 else "."),
    "Training never needed pairs: each domain was shuffled on its own.",
])
