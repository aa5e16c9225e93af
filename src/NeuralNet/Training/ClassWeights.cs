using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// Per-class weights for <c>Fit</c> (Keras' <c>class_weight</c>): each training sample's loss is multiplied by the weight of
/// its class, so that a rare class counts as much as a frequent one. Written as a dictionary from class index to weight
/// (classes not listed weigh 1, as in Keras) or as an array with one weight per class.
/// </summary>
/// <remarks>
/// A sample's class is the index of the largest target value when targets have several columns (one-hot), the rounded
/// target when the model has one output unit (binary: 0 or 1), and the target itself for integer labels.
/// </remarks>
/// <example><c>model.Fit(x, y, classWeight: new Dictionary&lt;int, float&gt; { [0] = 1f, [1] = 9f });</c></example>
public sealed class ClassWeights
{
    private readonly Dictionary<int, float> _weights;

    /// <summary>Creates the weights from a dictionary of class index to weight.</summary>
    /// <param name="weights">Non-negative, finite weights by class index (0-based).</param>
    /// <exception cref="ArgumentException">A class index is negative, or a weight is negative or not finite.</exception>
    public ClassWeights(IReadOnlyDictionary<int, float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = new Dictionary<int, float>(weights.Count);
        foreach (var (key, weight) in weights.OrderBy(pair => pair.Key))
        {
            if (key < 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"classWeight has the class {key}; class indices start at 0."), "classWeight");
            }

            if (!(weight >= 0) || float.IsInfinity(weight))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"classWeight[{key}] is {weight}; a class weight must be non-negative and finite."), "classWeight");
            }

            _weights.Add(key, weight);
        }
    }

    /// <summary>Creates the weights from one weight per class, in class order.</summary>
    /// <param name="weights">Non-negative, finite weights.</param>
    /// <exception cref="ArgumentException">A weight is negative or not finite.</exception>
    public ClassWeights(IReadOnlyList<float> weights)
        : this((weights ?? throw new ArgumentNullException(nameof(weights))).Select((w, i) => (i, w)).ToDictionary(p => p.i, p => p.w))
    {
    }

    /// <summary>The weights from a dictionary of class index to weight (null stays null: no class weights).</summary>
    /// <param name="weights">Weights by class index.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(weights))]
    public static implicit operator ClassWeights?(Dictionary<int, float>? weights) => weights is null ? null : new(weights);

    /// <summary>The weights from one weight per class (null stays null: no class weights).</summary>
    /// <param name="weights">Weights in class order.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(weights))]
    public static implicit operator ClassWeights?(float[]? weights) => weights is null ? null : new(weights);

    /// <summary>The classes given a weight, in increasing order.</summary>
    public IEnumerable<int> Classes => _weights.Keys;

    /// <summary>The weight of <paramref name="classIndex"/>: its own, or 1 when it was not given one.</summary>
    /// <param name="classIndex">A class index.</param>
    public float this[int classIndex] => _weights.TryGetValue(classIndex, out float weight) ? weight : 1f;
}
