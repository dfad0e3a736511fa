"""The power model of the WAO tests: an MLServer custom runtime in plain Python and numpy.

Input `predict-prob`, FP32, shape [1, 3]: [cpuUsage, inletTemp, deltaP] (more rows are
accepted, one prediction each). Output `watts`, FP64, one value per row:

    watts = ((base + cpu * cpuUsage) + inlet * inletTemp) + deltaP * deltaP

with the coefficients of model-settings.json's parameters.extra (100, 2, 0.5, 3), so a test
knows the exact answer: [0.5, 25.5, 7.5] gives 100 + 1 + 12.75 + 22.5 = 136.25 (values
exact in FP32 stay exact). A request that breaks the documented contract (no `predict-prob`
input, another datatype, a shape that is not [n, 3]) gets MLServer's 400 with the reason.
"""

import numpy as np

from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.errors import InferenceError
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput

INPUT = "predict-prob"


class PowerModel(MLModel):
    async def load(self) -> bool:
        extra = (self.settings.parameters.extra if self.settings.parameters else None) or {}
        self._coef = np.array(
            [float(extra.get("cpu", 2)), float(extra.get("inlet", 0.5)), float(extra.get("deltaP", 3))],
            dtype=np.float64,
        )
        self._base = float(extra.get("base", 100))
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        request_input = next((i for i in payload.inputs if i.name == INPUT), None)
        if request_input is None:
            raise InferenceError(f"input '{INPUT}' is missing (got {[i.name for i in payload.inputs]})")
        if request_input.datatype != "FP32":
            raise InferenceError(f"input '{INPUT}' must be FP32, got {request_input.datatype}")
        shape = list(request_input.shape)
        if len(shape) != 2 or shape[1] != 3:
            raise InferenceError(f"input '{INPUT}' must have shape [n, 3], got {shape}")
        x = NumpyCodec.decode_input(request_input).reshape(shape).astype(np.float64)
        # Left to right, one IEEE operation at a time, so a client can compute the same double.
        watts = ((self._base + self._coef[0] * x[:, 0]) + self._coef[1] * x[:, 1]) + self._coef[2] * x[:, 2]
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[ResponseOutput(name="watts", shape=[len(watts)], datatype="FP64", data=watts.tolist())],
        )
