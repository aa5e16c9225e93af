using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>Gemm, and MatMul by a constant matrix (with the Add of a constant bias after it), as NeuralNet Dense layers.</summary>
internal static class DenseImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Gemm"] = Gemm;
        all["MatMul"] = MatMul;
    }

    /// <summary>The Dense layer of <paramref name="plan"/> called on <paramref name="x"/>, its kernel and bias recorded.</summary>
    public static SymbolicTensor Build(ImportBuild b, DensePlan plan, ImportedValue x)
    {
        var dense = new Dense(plan.Units, useBias: plan.Bias is not null);
        SymbolicTensor y = dense.Call(b[x]);
        b.Weight(dense, "kernel", plan.Kernel);
        if (plan.Bias is float[] bias)
        {
            b.Weight(dense, "bias", bias);
        }

        return y;
    }

    // Y = alpha · A · op(B) + beta · C, with A (M, K) computed, B and C constants.
    private static void Gemm(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "alpha", "beta", "transA", "transB");
        float alpha = attributes.Float("alpha", 1f), beta = attributes.Float("beta", 1f);
        if (attributes.Int("transA", 0) != 0)
        {
            throw node.Refuse("attribute transA=1; NeuralNet.Onnx imports Gemm with transA=0 (the data as rows), as PyTorch's Linear writes it");
        }

        bool transB = attributes.Int("transB", 0) != 0;
        ImportedValue a = graph.Computed(node, 0, "A");
        OnnxConstant w = graph.Constant(node, 1, "B, the weights");
        if (a.Rank != 2)
        {
            throw node.Refuse($"input A has dimensions {ImportText.Dims(a.Dims)}; Gemm takes a matrix (flatten image features first)");
        }

        if (w.Dims.Length != 2)
        {
            throw node.Invalid($"input B has dimensions {w.Shape}; Gemm takes a matrix");
        }

        int k = (int)(transB ? w.Dims[1] : w.Dims[0]), units = (int)(transB ? w.Dims[0] : w.Dims[1]);
        if (k != a.Dims[1])
        {
            throw node.Invalid($"A has dimensions {ImportText.Dims(a.Dims)} but B {w.Shape} with transB={(transB ? 1 : 0)}");
        }

        float[] kernel = transB ? ImportLayout.Transpose(w.ToFloats(), [units, k], [1, 0]) : w.ToFloats();
        var plan = new DensePlan(ImportLayout.ReorderRows([.. kernel.Select(v => alpha * v)], units, a.RowOrder), units);
        if (graph.Optional(node, 2) is ImportedValue c)
        {
            OnnxConstant bias = c.Constant ?? throw node.Refuse($"input C '{c.Name}' is computed by the graph; NeuralNet.Onnx imports Gemm's C only as a constant bias");
            plan.Bias = [.. bias.Vector(node, units, "the bias").Select(v => beta * v)];
        }

        graph.Define(node, [a.Dims[0], units], b => Build(b, plan, a));
    }

    // PyTorch's Linear on (N, K) or (N, T, K) inputs: MatMul by the transposed weight, the bias added by the next node.
    private static void MatMul(ImportedNode node, ImportGraph graph)
    {
        _ = new NodeAttributes(node);
        ImportedValue a = graph.Computed(node, 0, "A");
        OnnxConstant w = graph.Constant(node, 1, "B, the weights");
        if (a.Rank is not (2 or 3))
        {
            throw node.Refuse($"input A has dimensions {ImportText.Dims(a.Dims)}; NeuralNet.Onnx imports MatMul of a matrix or a batch of sequences (rank 2 or 3) by a constant matrix");
        }

        if (w.Dims.Length != 2 || w.Dims[0] != a.Dims[^1])
        {
            throw node.Refuse($"input B has dimensions {w.Shape} for A {ImportText.Dims(a.Dims)}; NeuralNet.Onnx imports MatMul by a constant matrix of {a.Dims[^1]} rows");
        }

        var plan = new DensePlan(ImportLayout.ReorderRows(w.ToFloats(), (int)w.Dims[1], a.RowOrder), (int)w.Dims[1]);
        ImportedValue y = graph.Define(node, [.. a.Dims[..^1], w.Dims[1]], b => Build(b, plan, a));
        y.Dense = plan;
    }
}
