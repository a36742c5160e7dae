"""The run service keeps params.yaml complete for DVC: a key dvc.yaml tracks but the file leaves out is written
in with its default, since DVC refuses to run a stage whose params key is absent."""

import shutil
from pathlib import Path

from fairgate.adapters.params_file import load_params
from fairgate.app.pipeline_run import missing_tracked_params, write_params

ROOT = Path(__file__).resolve().parents[2]


def test_keys_dvc_tracks_are_written_in_with_their_defaults(tmp_path: Path):
    shutil.copy(ROOT / "dvc.yaml", tmp_path)
    (tmp_path / "params.yaml").write_text("# mine\ndata:\n  sensitive: [sex]\ntrain:\n  epochs: 3\n")
    missing = dict((".".join(k), v) for k, v in missing_tracked_params(tmp_path, tmp_path / "params.yaml"))
    assert missing["data.features"] is None and missing["data.encoding"] == "utf-8" and "data.sensitive" not in missing
    assert "train" not in missing and "gate" in missing
    write_params(tmp_path, None, ["train.seed=5"])
    assert missing_tracked_params(tmp_path, tmp_path / "params.yaml") == []
    text = (tmp_path / "params.yaml").read_text()
    assert text.startswith("# mine") and "features: null" in text
    params = load_params(tmp_path / "params.yaml")
    assert params.train.epochs == 3 and params.train.seed == 5 and params.data.sensitive == ["sex"]
