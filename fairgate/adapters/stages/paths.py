"""Every file a stage reads or writes, relative to the project root (dvc.yaml lists the same paths)."""

PARAMS = "params.yaml"  # logged with each model as lineage/params.yaml, exactly as written
RAW = "data/raw.parquet"
INPUT_DIR = "data/input"
SOURCE_RECORD = ".fairgate/ingest-source.json"  # size, time and md5 of a source outside INPUT_DIR
RAW_SUITE = "expectations/raw.json"
RAW_REPORT = "reports/validate/raw.json"
RAW_DOCS = "reports/validate/data_docs"
PROCESSED = "data/processed"
PROCESSED_SUITE = "expectations/processed.json"
PROCESSED_REPORT = "reports/preprocess/processed.json"
CANDIDATE = "models/candidate"
TRAIN_RUN = "models/run.json"
TRAIN_REPORT = "reports/train/metrics.json"
EVAL_METRICS = "reports/evaluate/metrics.json"
EVAL_REPORT = "reports/evaluate/report.json"
EVAL_PLOTS = "reports/evaluate/plots"
EVAL_ROC = "reports/evaluate/roc.csv"
EVAL_CALIBRATION = "reports/evaluate/calibration.csv"
DECISION = "reports/gate/decision.json"
CARD = "reports/gate/card.json"
CARD_MD = "reports/gate/card.md"
PROMOTION = "reports/promote/promotion.json"
DRIFT_REPORT = "reports/drift/report.json"
REFERENCE_PROFILE_ARTIFACT = "drift/profile.json"  # train logs data/processed/profile.json here

TRAIN_X, TRAIN_Y = "train_X.npy", "train_y.npy"
VAL_X, VAL_Y = "val_X.npy", "val_y.npy"
TEST = "test.parquet"
PREPROCESSOR = "preprocessor.json"
PROFILE = "profile.json"  # the drift reference profile of the training rows
