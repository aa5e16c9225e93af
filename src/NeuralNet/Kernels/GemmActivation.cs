namespace NeuralNet.Kernels;

/// <summary>The activation a fused GEMM epilogue applies to each output element after the bias.</summary>
internal enum GemmActivation
{
    /// <summary>Identity: the output is op(A) * op(B) + bias.</summary>
    None,

    /// <summary>max(x, 0) applied after the bias.</summary>
    Relu,
}
