"""QSM's quantum student router (QD-LLM): a variational circuit on PennyLane that makes the student
router's decision (intent and complexity) from a request's MiniLM embedding.

The embedding is reduced to one number per qubit by a PCA projection fitted on the training requests,
squashed to an angle in (0, pi) and loaded with RY rotations (angle encoding); a few strongly entangling layers follow;
the Pauli-Z expectation of qubits 0-2 are the intent logits and of qubits 3-5 the complexity logits, after a
per-output scale and bias (the classical readout, counted in :attr:`QuantumRouterStudent.parameters`).

Trained by ``qsm train router --kind quantum`` (:mod:`qsm.train.quantum_router`) to match both the QSM
adapter's route probabilities (the teacher) and the true labels; ships as ``qsm/agents/data/
quantum_router.npz`` with ``QUANTUM_ROUTER_CARD.md``. PennyLane is the optional ``quantum`` extra and is
imported only when a quantum student is loaded.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from qsm.agents.router import COMPLEXITIES, INTENTS, RouteDecision, decision_from, softmax
from qsm.errors import ModelCallError, ModelNotFoundError

__all__ = ["QuantumRouterStudent", "circuit_outputs", "require_pennylane", "shipped_quantum_router_path"]

_READOUT = len(INTENTS) + len(COMPLEXITIES)


def shipped_quantum_router_path() -> Path:
    return Path(str(resources.files("qsm.agents") / "data" / "quantum_router.npz"))


def require_pennylane() -> Any:
    """The ``pennylane`` module, or a clear error saying how to install it."""
    try:
        import pennylane as qml
    except ImportError:
        raise ModelNotFoundError(
            "the quantum router needs PennyLane, which is not installed",
            hint='install the extra: pip install "qsm[quantum]", or set [runtime] router = "student"',
        ) from None
    return qml


def circuit_outputs(qubits: int) -> Any:
    """A PennyLane QNode ``(angles, weights) -> Z expectations`` on ``default.qubit`` (backprop, so it
    trains with autograd; ``angles`` may be a batch; the weights' shape, (layers, qubits, 3), sets the
    depth)."""
    qml = require_pennylane()
    device = qml.device("default.qubit", wires=qubits)

    @qml.qnode(device, interface="autograd", diff_method="backprop")
    def circuit(angles: Any, weights: Any) -> Any:
        qml.AngleEmbedding(angles, wires=range(qubits), rotation="Y")
        qml.StronglyEntanglingLayers(weights, wires=range(qubits))
        return [qml.expval(qml.PauliZ(i)) for i in range(min(qubits, _READOUT))]

    return circuit


def encode(embeddings: np.ndarray, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """PCA projection, then each coordinate squashed to an angle in (0, pi), so that ⟨Z⟩ of the encoded
    qubit, cos(angle), is monotonic in it."""
    z = (np.asarray(embeddings, dtype=np.float64) - mean) @ components
    return np.pi / 2 + np.arctan(z / scale)


def _z_signs(qubits: int) -> np.ndarray:
    """Row k, column i: the eigenvalue of Z on wire i in basis state k (+1 for bit 0, -1 for bit 1)."""
    k = np.arange(2**qubits)[:, None]
    return 1.0 - 2.0 * ((k >> (qubits - 1 - np.arange(qubits))[None, :]) & 1)


class QuantumRouterStudent:
    """The trained circuit: projection (fitted), circuit weights and readout (trained)."""

    kind = "quantum"

    def __init__(
        self,
        *,
        mean: np.ndarray,
        components: np.ndarray,
        scale: np.ndarray,
        weights: np.ndarray,
        readout_scale: np.ndarray,
        readout_bias: np.ndarray,
        embedder: str,
    ) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.components = np.asarray(components, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.readout_scale = np.asarray(readout_scale, dtype=np.float64)
        self.readout_bias = np.asarray(readout_bias, dtype=np.float64)
        self.embedder = embedder
        self.qubits = int(self.components.shape[1])
        self.layers = int(self.weights.shape[0])
        if self.qubits < _READOUT or self.weights.shape[1:] != (self.qubits, 3):
            raise ModelCallError(
                f"the quantum router file is inconsistent: {self.qubits} qubits (need {_READOUT}), "
                f"weights of shape {self.weights.shape}",
                hint="retrain it with `qsm train router --kind quantum`",
            )
        self._circuit: Any = None
        self._unitary: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self.components.shape[0])

    @property
    def parameters(self) -> int:
        """Trainable parameters: circuit rotations plus the readout's scale and bias."""
        return int(self.weights.size + self.readout_scale.size + self.readout_bias.size)

    @property
    def circuit(self) -> Any:
        if self._circuit is None:
            self._circuit = circuit_outputs(self.qubits)
        return self._circuit

    @property
    def unitary(self) -> np.ndarray:
        """The trained entangling layers as one 2^n x 2^n matrix (PennyLane's ``qml.matrix``), built once."""
        if self._unitary is None:
            qml = require_pennylane()
            layers = qml.StronglyEntanglingLayers(self.weights, wires=range(self.qubits))
            self._unitary = np.asarray(qml.matrix(layers, wire_order=range(self.qubits)))
        return self._unitary

    def expectations(self, angles: np.ndarray, *, qnode: bool = False) -> np.ndarray:
        """⟨Z⟩ of the readout qubits for a batch of angles: the same circuit simulated as the encoded
        product state times :attr:`unitary` (fast), or through the PennyLane QNode (``qnode=True``)."""
        if qnode:
            return np.stack([np.asarray(v, dtype=np.float64) for v in self.circuit(angles, self.weights)], -1)
        batch = np.atleast_2d(angles)
        state = np.ones((batch.shape[0], 1))
        for i in range(self.qubits):  # RY(a)|0> on each wire, wire 0 the most significant bit
            qubit = np.stack([np.cos(batch[:, i] / 2), np.sin(batch[:, i] / 2)], axis=-1)
            state = (state[:, :, None] * qubit[:, None, :]).reshape(batch.shape[0], -1)
        amplitudes = state @ self.unitary.T
        z = (np.abs(amplitudes) ** 2) @ _z_signs(self.qubits)[:, :_READOUT]
        return z.reshape(*np.shape(angles)[:-1], _READOUT)

    def probabilities(self, embeddings: np.ndarray, *, qnode: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Intent and complexity probabilities for a batch of embeddings (rows)."""
        angles = encode(embeddings, self.mean, self.components, self.scale)
        z = self.expectations(angles, qnode=qnode)
        logits = z[..., :_READOUT] * self.readout_scale + self.readout_bias
        return softmax(logits[..., : len(INTENTS)]), softmax(logits[..., len(INTENTS) :])

    def decide(self, embedding: np.ndarray) -> RouteDecision:
        vec = np.asarray(embedding, dtype=np.float64).reshape(-1)
        if vec.shape[0] != self.dim:
            raise ModelCallError(
                f"the quantum router expects {self.dim}-dim embeddings from {self.embedder}, got {vec.shape[0]}"
            )
        if not np.all(np.isfinite(vec)):
            raise ModelCallError("the request's embedding is not finite", hint="check the embedder")
        p_intent, p_complexity = self.probabilities(vec)
        return decision_from(p_intent, p_complexity)

    def draw(self) -> str:
        """The circuit as text (PennyLane's drawer), with one request's worth of symbolic angles."""
        qml = require_pennylane()
        return str(
            qml.draw(self.circuit, decimals=2, max_length=120, level="device")(
                np.zeros(self.qubits), self.weights
            )
        )

    # -- files -------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | None = None) -> QuantumRouterStudent:
        path = path or shipped_quantum_router_path()
        if not path.is_file():
            raise ModelNotFoundError(
                f"no quantum router at {path}",
                hint='train one with `qsm train router --kind quantum`, or set [runtime] router = "student"',
            )
        with np.load(path, allow_pickle=False) as data:
            if "weights" not in data:
                raise ModelNotFoundError(
                    f"{path} is not a quantum router file", hint="point router_path at a quantum_router.npz"
                )
            meta = json.loads(bytes(data["meta"]).decode())
            return cls(
                mean=data["mean"],
                components=data["components"],
                scale=data["scale"],
                weights=data["weights"],
                readout_scale=data["readout_scale"],
                readout_bias=data["readout_bias"],
                embedder=str(meta["embedder"]),
            )

    def save(self, path: Path, **meta: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = np.frombuffer(json.dumps({"embedder": self.embedder, **meta}).encode(), dtype=np.uint8)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                mean=self.mean.astype(np.float32),
                components=self.components.astype(np.float32),
                scale=self.scale,
                weights=self.weights,
                readout_scale=self.readout_scale,
                readout_bias=self.readout_bias,
                meta=blob,
            )
