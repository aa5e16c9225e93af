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

    /// <summary>
    /// <c>max(x, c)</c>, or <c>max(c, x)</c> with the constant first; the gradient goes to x where x &gt; c, and on a tie to
    /// the first operand (TensorFlow's <c>_MaximumMinimumGrad</c>): to x in <c>max(x, c)</c>, to the constant in <c>max(c, x)</c>.
    /// </summary>
    Maximum,

    /// <summary><c>min(x, c)</c>, or <c>min(c, x)</c>; the gradient goes to x where x &lt; c, and on a tie as for <see cref="Maximum"/>.</summary>
    Minimum,

    /// <summary>
    /// <c>x ** c</c>, or <c>c ** x</c> with the constant first; the gradient of <c>c ** x</c> is <c>cˣ ln c</c>, and 0 for
    /// c ≤ 0 (TensorFlow's <c>_PowGrad</c> takes ln c as 0 there).
    /// </summary>
    Power,
}
