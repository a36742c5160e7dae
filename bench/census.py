"""A census-like CSV with the quirks of real public files, unlike fairgate's built-in data.

Its schema follows the UCI Adult file (hyphenated names, 15 columns) and it carries every quirk a new
user's file had: a space after each comma, ``?`` for missing values, 6% of them in two columns,
labels ending in ``.`` in the second part of the file, 20% exact duplicate rows, a native country
that occurs once, and a small race group. The label depends on sex, so an unmitigated model has a
demographic-parity gap by sex as real census data does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WORKCLASS = ["Private", "Self-emp-not-inc", "Local-gov", "State-gov", "Self-emp-inc", "Federal-gov"]
EDUCATION = ["HS-grad", "Some-college", "Bachelors", "Masters", "Assoc-voc", "11th", "Doctorate"]
EDUCATION_NUM = [9, 10, 13, 14, 11, 7, 16]
MARITAL = ["Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed"]
OCCUPATION = ["Prof-specialty", "Craft-repair", "Exec-managerial", "Adm-clerical", "Sales", "Other-service",
              "Machine-op-inspct", "Transport-moving"]
RELATIONSHIP = ["Husband", "Not-in-family", "Own-child", "Unmarried", "Wife"]
RACE = ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]
COUNTRY = ["United-States", "Mexico", "Philippines", "Germany", "Canada", "India"]
RARE_COUNTRY = "Holand-Netherlands"


def frame(rows: int = 6000, seed: int = 0, missing: float = 0.06, duplicates: float = 0.2,
          sex_effect: float = 2.4) -> pd.DataFrame:
    """The rows as strings, exactly as they will be written (``?`` for missing, some labels with '.')."""
    rng = np.random.default_rng(seed)
    unique = rows - int(rows * duplicates)
    sex = rng.choice(["Male", "Female"], unique, p=[0.67, 0.33])
    education = rng.choice(len(EDUCATION), unique, p=[0.32, 0.22, 0.17, 0.06, 0.08, 0.12, 0.03])
    age = np.clip(rng.normal(39, 13, unique).round(), 17, 90).astype(int)
    hours = np.clip(rng.normal(40, 12, unique).round(), 1, 99).astype(int)
    gain = np.where(rng.random(unique) < 0.08, rng.lognormal(8.5, 1.0, unique).round(), 0).astype(int)
    marital = rng.choice(MARITAL, unique, p=[0.46, 0.33, 0.14, 0.03, 0.04])
    occupation = rng.choice(len(OCCUPATION), unique)
    married = marital == "Married-civ-spouse"
    relationship = np.where(married, np.where(sex == "Male", "Husband", "Wife"),
                            rng.choice(RELATIONSHIP[1:4], unique))  # a proxy of sex, as in census data
    logit = (-4.3 + 0.9 * (np.take(EDUCATION_NUM, education) - 10) + 0.045 * (age - 39) + 0.045 * (hours - 40)
             + 3.0 * (gain > 0) + 2.2 * married + 0.9 * (occupation < 3)
             + sex_effect * np.where(sex == "Male", 0.5, -0.5))
    income = np.where(rng.random(unique) < 1 / (1 + np.exp(-logit)), ">50K", "<=50K")
    data = pd.DataFrame({
        "age": age,
        "workclass": rng.choice(WORKCLASS, unique, p=[0.72, 0.08, 0.07, 0.05, 0.04, 0.04]),
        "fnlwgt": rng.lognormal(12.0, 0.5, unique).round().astype(int),
        "education": np.take(EDUCATION, education),
        "education-num": np.take(EDUCATION_NUM, education),
        "marital-status": marital,
        "occupation": np.take(OCCUPATION, occupation),
        "relationship": relationship,
        "race": rng.choice(RACE, unique, p=[0.84, 0.1, 0.03, 0.015, 0.015]),
        "sex": sex,
        "capital-gain": gain,
        "capital-loss": np.where(rng.random(unique) < 0.05, rng.integers(1000, 2500, unique), 0),
        "hours-per-week": hours,
        "native-country": rng.choice(COUNTRY, unique, p=[0.9, 0.03, 0.02, 0.02, 0.02, 0.01]),
        "income": income,
    }).astype(str)
    for column in ("workclass", "occupation"):
        data.loc[rng.random(unique) < missing, column] = "?"
    data.loc[int(rng.integers(unique)), "native-country"] = RARE_COUNTRY
    data = pd.concat([data, data.sample(rows - unique, replace=True, random_state=seed)], ignore_index=True)
    data = data.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    dotted = np.arange(rows) >= rows * 2 // 3  # the file's "test part" ends labels with '.', as adult.test does
    data.loc[dotted, "income"] = data.loc[dotted, "income"] + "."
    return data


def write(path: Path, rows: int = 6000, seed: int = 0, **options) -> Path:
    """Write the census-like file with ', ' between values, as the UCI files are written."""
    data = frame(rows, seed, **options)
    lines = [", ".join(data.columns)]
    lines += (data[data.columns[0]].str.cat([data[c] for c in data.columns[1:]], sep=", ")).tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_breaking_the_contract(path: Path, rows: int = 6000) -> None:
    """A later file the contract drafted from ``write``'s file rejects: ages of 150, a tenth of occupations missing."""
    broken = frame(rows, seed=3)
    broken.loc[:40, "age"] = "150"
    broken.loc[:600, "occupation"] = "?"
    lines = [", ".join(broken.columns)] + [", ".join(row) for row in broken.itertuples(index=False)]
    path.write_text("\n".join(lines) + "\n")


def validation_snapshot(folder: Path, strict: bool) -> tuple[pd.DataFrame, object, object]:
    """A 600-row census file loaded as fairgate loads it, its snapshot at ``folder``/raw.parquet, and its schema and
    validate settings: tolerant enough for the file to pass, or (``strict``) failing it on ages 20-80, duplicate
    rows, groups of 50 and extra columns."""
    from fairgate.adapters import source
    from fairgate.core.config import build_params
    from fairgate.core.contract import resolve_schema

    checks = {"min_rows": 50, "max_null_fraction": 0.1, "max_duplicate_fraction": 0.5, "min_group_rows": 5}
    if strict:
        checks |= {"ranges": {"age": [20, 80]}, "max_duplicate_fraction": 0.0001, "extra_columns": "reject",
                   "min_group_rows": 50}
    csv = write(folder / "adult.csv", rows=600, seed=5)
    params = build_params({"data": {"source": str(csv), "target": "income", "positive_label": ">50K",
                                    "sensitive": ["sex", "race"], "na_values": ["?"],
                                    "label_map": {">50K.": ">50K", "<=50K.": "<=50K"}}, "validate": checks})
    raw = source.load(params.data, folder)
    raw.to_parquet(folder / "raw.parquet", index=False)
    return raw, resolve_schema(params.data, list(raw.columns), raw.dtypes, raw), params.validate_cfg
