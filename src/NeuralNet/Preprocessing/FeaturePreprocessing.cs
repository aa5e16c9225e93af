using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// What <see cref="FeatureSpace"/> does with a feature's preprocessor, whatever its class: a layer (run on the column
/// as a (samples, 1) tensor, as Keras expands a column) or a string preprocessor (run on the strings).
/// </summary>
internal static class FeaturePreprocessing
{
    /// <summary>A new preprocessor of the same class and configuration (learned vocabularies and boundaries included; a Normalization's weights are not).</summary>
    public static object Copy(object preprocessor, string where) => preprocessor switch
    {
        Layer layer => SerializationRegistry.Recreate(layer),
        Preprocessor p => SerializationRegistry.CreateFromItem(SerializationRegistry.ComponentKind.Preprocessor,
            Config.Wrap(SerializationRegistry.Serialize(p), "FeatureSpace", where), where),
        _ => throw new ArgumentException($"{where}: {preprocessor.GetType().Name} is not a preprocessor FeatureSpace can use.", nameof(preprocessor)),
    };

    /// <summary>Whether Adapt learns something for this preprocessor (Keras' <c>_list_adaptable_preprocessors</c>; a Discretization given its boundaries has nothing to learn).</summary>
    public static bool IsAdaptable(object preprocessor) => preprocessor switch
    {
        Normalization n => n.GivenMean is null,
        Discretization d => d.NumBins is not null,
        IntegerLookup or StringLookup => true,
        _ => false,
    };

    /// <summary>
    /// The number of categories of the preprocessor's indices, the one-hot depth (Keras: the lookups' vocabulary size, the
    /// hashers' bins, a Discretization's <c>num_bins</c>, or its boundaries plus one when learned boundaries give more).
    /// </summary>
    public static int Cardinality(object preprocessor) => preprocessor switch
    {
        IntegerLookup lookup => lookup.VocabularySize,
        StringLookup lookup => lookup.VocabularySize,
        Discretization d => Math.Max(d.NumBins ?? 0, d.Depth),
        Hashing h => h.NumBins,
        StringHashing h => h.NumBins,
        _ => throw new InvalidOperationException($"{preprocessor.GetType().Name} gives no indices to encode."),
    };

    /// <summary>
    /// Why a preprocessor cannot serve as a feature's (one index or value per sample, as Keras' FeatureSpace makes them),
    /// or null when it can: an index preprocessor must give indices (output mode Int) and a lookup must not invert; a
    /// Normalization must not invert and must keep the last axis.
    /// </summary>
    public static string? Unfit(object preprocessor) => preprocessor switch
    {
        IntegerLookup { Invert: true } or StringLookup { Invert: true } => "invert is true; a feature's lookup maps values to indices (invert: false)",
        IntegerLookup { OutputMode: not CategoryOutputMode.Int } l => IndexModeReason(l.OutputMode),
        StringLookup { OutputMode: not CategoryOutputMode.Int } l => IndexModeReason(l.OutputMode),
        Hashing { OutputMode: not CategoryOutputMode.Int } h => IndexModeReason(h.OutputMode),
        StringHashing { OutputMode: not CategoryOutputMode.Int } h => IndexModeReason(h.OutputMode),
        Discretization { OutputMode: not CategoryOutputMode.Int } d => IndexModeReason(d.OutputMode),
        Normalization { Invert: true } => "invert is true; a feature's Normalization standardizes (invert: false)",
        Normalization n when n.Axes is not [-1] => $"axis is [{string.Join(", ", n.Axes)}]; a feature's Normalization keeps the last axis (axis: -1)",
        _ => null,
    };

    /// <summary>Learns the preprocessor's state from the column, in batches of <paramref name="batchSize"/> samples (Keras adapts on the dataset's batches).</summary>
    public static void Adapt(object preprocessor, FeatureColumn column, int batchSize)
    {
        switch (preprocessor)
        {
            case Normalization n:
                n.Adapt(Batches(column, batchSize));
                break;
            case Discretization d:
                d.Adapt(Batches(column, batchSize));
                break;
            case IntegerLookup lookup:
                lookup.Adapt(Batches(column, batchSize));
                break;
            case StringLookup lookup:
                lookup.Adapt(column.Strings(0, column.Count));
                break;
            default:
                throw new InvalidOperationException($"{preprocessor.GetType().Name} has nothing to adapt.");
        }
    }

    /// <summary>The preprocessed column: (samples, 1) of values or indices, a new tensor.</summary>
    public static Tensor Apply(object preprocessor, FeatureColumn column)
    {
        int count = column.Count;
        Tensor output = preprocessor switch
        {
            Layer layer => layer.Forward(column.ToTensor(0, count), training: false),
            StringLookup lookup => lookup.Transform(column.Strings(0, count)),
            StringHashing hashing => hashing.Transform(column.Strings(0, count)),
            _ => throw new InvalidOperationException($"{preprocessor.GetType().Name} is not a preprocessor FeatureSpace can use."),
        };

        // A layer's output is its own buffer and the string preprocessors return (samples): copy to a (samples, 1) tensor.
        if (output.Length != count)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{preprocessor.GetType().Name} gave {output.Length} values for {count} samples; a feature's preprocessor must give one value or index per sample."));
        }

        var result = new Tensor(count, 1);
        output.AsReadOnlySpan().CopyTo(result.AsSpan());
        return result;
    }

    private static string IndexModeReason(CategoryOutputMode mode) =>
        $"output_mode is '{CategoryEncoder.Name(mode)}'; a feature's preprocessor gives indices (output_mode 'int'), which the feature one-hot encodes";

    private static IEnumerable<Tensor> Batches(FeatureColumn column, int batchSize)
    {
        for (int start = 0; start < column.Count; start += batchSize)
        {
            yield return column.ToTensor(start, Math.Min(batchSize, column.Count - start));
        }
    }
}
