"""The model is retrained when anything it depends on changes: the list (scripts/training_inputs.py)
holds every project module its components load, and it is the list the Makefile uses."""

import subprocess
import sys

import pytest
import yaml

from scripts.training_inputs import ROOT, project_inputs, rasa_inputs

pytestmark = pytest.mark.unit

# loaded by the model's process but not part of the model: the patches to Rasa's server, and the
# spaCy pipeline's builder (the Makefile rebuilds the pipeline, and so the model, when it changes)
NOT_MODEL_CODE = ("nlp/rasa_fixes/", "nlp/build.py")


def test_every_project_module_the_models_components_load_is_a_training_input():
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    names = [c["name"] for c in config["pipeline"] + config["importers"] if "." in c["name"]]
    modules = sorted({name.rsplit(".", 1)[0] for name in names})
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('\\n'.join(getattr(m, '__file__', None) or '' for m in list(sys.modules.values())))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {
        str(path.relative_to(ROOT))
        for path in (ROOT / line for line in done.stdout.splitlines() if line.startswith(str(ROOT)))
        if path.parts[len(ROOT.parts)] in ("nlp", "common") and path.name != "__init__.py"
    }
    inputs = {str(p.relative_to(ROOT)) for p in project_inputs()}
    missing = {m for m in loaded - inputs if not m.startswith(NOT_MODEL_CODE)}
    assert not missing, f"add to COMPONENT_CODE in scripts/training_inputs.py: {sorted(missing)}"
    assert "nlp/components.py" in loaded and "common/encoder.py" in loaded


def test_the_makefile_retrains_on_exactly_these_inputs():
    printed = subprocess.run(
        ["make", "-p", "-n", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    [line] = [line for line in printed if line.startswith("TRAINING_INPUTS :=")]
    assert line.split(":=", 1)[1].split() == [str(p.relative_to(ROOT)) for p in project_inputs()]


def test_rasas_inputs_leave_the_article_to_the_action_server():
    names = [str(p.relative_to(ROOT)) for p in rasa_inputs()]
    assert names[:2] == ["config.yml", "domain.yml"] and "data/rules.yml" in names
    assert not [n for n in names if n.startswith("data/article/")]
