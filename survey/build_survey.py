"""Write survey/klantmanagers.sav: a small FICTIONAL survey of klantmanagers for the demo and tests.

Run from the repository root: ``python survey/build_survey.py``. The values come from a fixed
seed, so the file is the same every time; nothing in it describes real persons.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

OUT = Path(__file__).with_name("klantmanagers.sav")
MUNICIPALITIES = {1: "Maasdelta", 2: "Veenstad", 3: "Ommeland"}
WORKLOAD = {1: "zeer laag", 2: "laag", 3: "gemiddeld", 4: "hoog", 5: "zeer hoog"}


def build() -> pd.DataFrame:
    rng = np.random.default_rng(16)
    # KM01 and KM02 were interviewed; KM03 (Kromhout) was interviewed but Kromhout took no part in the survey.
    ids = ["KM01", "KM02", *(f"KM{n:02}" for n in range(4, 25))]
    municipality = [1, 2, *rng.choice([1, 2, 3], size=len(ids) - 2)]
    workload = [4, 5, *rng.choice([1, 2, 3, 4, 5], size=len(ids) - 2, p=[0.05, 0.15, 0.35, 0.3, 0.15])]
    caseload = [95, 160, *rng.integers(40, 181, size=len(ids) - 2)]
    autonomy = np.round([6.5, 4.0, *rng.uniform(2, 9.5, size=len(ids) - 2)], 1)
    return pd.DataFrame({"respondent_id": ids, "municipality": np.array(municipality, dtype=float),
                         "workload": np.array(workload, dtype=float), "caseload": np.array(caseload, dtype=float),
                         "autonomy": autonomy})


def main() -> None:
    pyreadstat.write_sav(
        build(), OUT, file_label="Fictional survey of klantmanagers (qualcode demo)",
        column_labels={"respondent_id": "Respondentnummer", "municipality": "Gemeente",
                       "workload": "Ervaren werkdruk", "caseload": "Aantal cliënten in caseload",
                       "autonomy": "Ervaren autonomie (schaal 1-10)"},
        variable_value_labels={"municipality": MUNICIPALITIES, "workload": WORKLOAD},
        variable_measure={"respondent_id": "nominal", "municipality": "nominal", "workload": "ordinal",
                          "caseload": "scale", "autonomy": "scale"},
        variable_format={"municipality": "F8.0", "workload": "F8.0", "caseload": "F8.0", "autonomy": "F8.1"},
    )


if __name__ == "__main__":
    main()
