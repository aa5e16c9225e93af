namespace NeuralNet.Layers;

/// <summary>
/// The operator of a <see cref="ScalarArithmetic"/> layer (Keras' <c>ops.add</c>, <c>ops.subtract</c>, <c>ops.multiply</c>,
/// <c>ops.divide</c>, <c>ops.maximum</c>, <c>ops.minimum</c>, <c>ops.power</c>).
/// </summary>
public enum ArithmeticOperator
{
    /// <summary><c>x + c</c>.</summary>
    Add,

    /// <summary><c>x - c</c>, or <c>c - x</c> with the constant first.</summary>
    Subtract,

    /// <summary><c>x * c</c>.</summary>
    Multiply,

    /// <summary><c>x / c</c>, or <c>c / x</c> with the constant first.</summary>
    Divide,

    /// <summary><c>max(x, c)</c>; the gradient goes to x where x ≥ c (TensorFlow's rule for ties).</summary>
    Maximum,

    /// <summary><c>min(x, c)</c>; the gradient goes to x where x ≤ c.</summary>
    Minimum,

    /// <summary><c>x ** c</c>, or <c>c ** x</c> with the constant first.</summary>
    Power,
}
