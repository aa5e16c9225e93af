namespace NeuralNet.Layers;

/// <summary>
/// The operator of a <see cref="Comparison"/> layer, named after Keras' operation class (<c>ops.greater</c> is
/// <c>Greater</c>, <c>ops.logical_and</c> is <c>LogicalAnd</c>). Each gives 1 where it holds and 0 elsewhere.
/// </summary>
public enum ComparisonOperator
{
    /// <summary><c>a &gt; b</c> (<c>ops.greater</c>).</summary>
    Greater,

    /// <summary><c>a ≥ b</c> (<c>ops.greater_equal</c>).</summary>
    GreaterEqual,

    /// <summary><c>a &lt; b</c> (<c>ops.less</c>).</summary>
    Less,

    /// <summary><c>a ≤ b</c> (<c>ops.less_equal</c>).</summary>
    LessEqual,

    /// <summary><c>a == b</c> (<c>ops.equal</c>); false where either is NaN.</summary>
    Equal,

    /// <summary><c>a != b</c> (<c>ops.not_equal</c>); true where either is NaN.</summary>
    NotEqual,

    /// <summary>Both nonzero (<c>ops.logical_and</c>, which reads numbers as NumPy does: NaN true, 0 and -0 false).</summary>
    LogicalAnd,

    /// <summary>Either nonzero (<c>ops.logical_or</c>).</summary>
    LogicalOr,

    /// <summary>Zero (<c>ops.logical_not</c>), of one input and no number.</summary>
    LogicalNot,
}
