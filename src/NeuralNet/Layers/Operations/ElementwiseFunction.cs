namespace NeuralNet.Layers;

/// <summary>The function an <see cref="ElementwiseMath"/> layer applies to each element (Keras' <c>keras.ops</c> of the same name).</summary>
public enum ElementwiseFunction
{
    /// <summary><c>ops.sqrt</c>: √x.</summary>
    Sqrt,

    /// <summary><c>ops.square</c>: x².</summary>
    Square,

    /// <summary><c>ops.exp</c>: eˣ.</summary>
    Exp,

    /// <summary><c>ops.log</c>: the natural logarithm.</summary>
    Log,

    /// <summary><c>ops.abs</c>: |x|.</summary>
    Abs,

    /// <summary><c>ops.negative</c>: -x.</summary>
    Negative,

    /// <summary><c>ops.sin</c>: sin x.</summary>
    Sin,

    /// <summary><c>ops.cos</c>: cos x.</summary>
    Cos,

    /// <summary><c>ops.erf</c>: the error function, 2/√π ∫₀ˣ e^(-t²) dt.</summary>
    Erf,

    /// <summary><c>ops.floor</c>: the largest integer ≤ x; its gradient is 0.</summary>
    Floor,

    /// <summary><c>ops.round</c> with <c>decimals=0</c>: the nearest integer, halves to even (NumPy's rule); its gradient is 0.</summary>
    Round,

    /// <summary><c>ops.sign</c>: -1, 0 or 1; its gradient is 0.</summary>
    Sign,
}
