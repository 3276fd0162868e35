"""The quantum student's teacher on the real model: the shipped QSM adapter through llama.cpp gives the
cached route probabilities again, and sends a resource question to SOM and a fact to WeQ."""

from __future__ import annotations

import pytest

from qsm.agents.locate import bundled_model_path
from qsm.agents.shipped import shipped_adapter_path
from qsm.errors import RealModelsForbidden
from qsm.train.router_data import build_router_data
from qsm.train.router_teacher import TeacherLabels, label_with_teacher


@pytest.mark.real_model
def test_teacher_labels_are_reproduced_and_route_sensibly() -> None:
    data = build_router_data()
    cached = TeacherLabels.load()
    picks = [0, next(i for i, e in enumerate(data) if e.intent == "resource")]
    adapter = shipped_adapter_path("QSM")
    assert adapter is not None
    fresh = label_with_teacher(
        [data[i].text for i in picks], model_path=bundled_model_path(), adapter_path=adapter
    )
    assert fresh.p_som == pytest.approx([cached.p_som[i] for i in picks], abs=0.02)
    assert fresh.p_som[0] < 0.5 < fresh.p_som[1]


def test_teacher_labelling_is_a_real_model_call() -> None:
    adapter = shipped_adapter_path("QSM")
    assert adapter is not None
    with pytest.raises(RealModelsForbidden):
        label_with_teacher(["What is 2 + 2?"], model_path=bundled_model_path(), adapter_path=adapter)
