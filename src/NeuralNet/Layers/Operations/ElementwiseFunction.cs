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
}
