"""Issue 18, lessons part: no private names across the lessons' modules, and the background-training
protocol written once (pages/ui/background.training_panel), not repeated in the two pages that train."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_module_of_the_lessons_imports_a_private_name_of_another():
    offenders = []
    for path in sorted((ROOT / "gan_core" / "lessons").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_core"):
                offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert offenders == []


def test_the_critic_tools_live_in_critic1d():
    from gan_core.lessons import critic1d, fgan, transport

    for name in ("mlp", "one_thread", "single_thread", "TrainingThread", "preload_torch"):
        assert getattr(critic1d, name).__module__ == "gan_core.lessons.critic1d"
    assert not hasattr(fgan, "TrainingThread") and not hasattr(fgan, "_mlp")
    assert transport.mlp is critic1d.mlp


def test_training_pages_use_the_one_background_protocol():
    for page in ("f_divergences.py", "wasserstein.py"):
        source = (ROOT / "pages" / page).read_text()
        assert source.count("training_panel(") == 1, page
        for repeated in ("st.fragment", "poll_again", "start_training", "TrainingThread", "_running"):
            assert repeated not in source, (page, repeated)


def test_no_function_of_the_lessons_is_over_80_lines():
    long = []
    for path in sorted((ROOT / "gan_core" / "lessons").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.name}:{node.name}")
    assert long == []
