using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The encodings shared by <see cref="CategoryEncoding"/>, <see cref="Discretization"/>, <see cref="IntegerLookup"/>,
/// <see cref="Hashing"/>, <see cref="HashedCrossing"/> and the preprocessors <see cref="Preprocessing.StringLookup"/>,
/// <see cref="Preprocessing.StringHashing"/> and <see cref="Preprocessing.StringHashedCrossing"/>: Keras' <c>numerical_utils.encode_categorical_inputs</c> for batches whose
/// first axis is the batch axis.
/// </summary>
internal static class CategoryEncoder
{
    private const string ModeNames = "\"int\", \"one_hot\", \"multi_hot\" or \"count\"";
    private const string LookupModeNames = "\"int\", \"one_hot\", \"multi_hot\", \"count\" or \"tf_idf\"";

    /// <summary>The per-sample output shape for per-sample input <paramref name="sampleShape"/> (see <see cref="CategoryOutputMode"/>).</summary>
    public static TensorShape OutputShape(TensorShape sampleShape, CategoryOutputMode mode, int depth)
    {
        ReadOnlySpan<int> dims = sampleShape.Dimensions;
        return mode switch
        {
            CategoryOutputMode.Int => sampleShape,
            CategoryOutputMode.OneHot when dims.Length > 0 && dims[^1] == 1 => new TensorShape([.. dims[..^1], depth]),
            CategoryOutputMode.OneHot => new TensorShape([.. dims, depth]),
            _ when dims.Length == 0 => new TensorShape(depth),
            _ => new TensorShape([.. dims[..^1], depth]),
        };
    }

    /// <summary>The number of ids that make one row of a multi-hot or count output for samples of <paramref name="sampleShape"/>.</summary>
    public static int RowLength(TensorShape sampleShape) => sampleShape.Rank == 0 ? 1 : sampleShape[-1];

    /// <summary>
    /// Writes the encoding of <paramref name="ids"/> (each in [0, depth), or negative for an id to drop, as a lookup's
    /// mask token) into <paramref name="output"/>: for one-hot one row of <paramref name="depth"/> per id, for multi-hot
    /// and count one row per <paramref name="rowLength"/> ids; TF-IDF writes the counts, for the caller to weight.
    /// </summary>
    public static void Encode(ReadOnlySpan<int> ids, int rowLength, CategoryOutputMode mode, int depth, Span<float> output)
    {
        output.Clear();
        if (mode == CategoryOutputMode.OneHot)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] >= 0)
                {
                    output[(i * depth) + ids[i]] = 1f;
                }
            }

            return;
        }

        // TF-IDF starts from the counts; the lookup then multiplies them by its weights (IdfWeights.Apply).
        bool count = mode is CategoryOutputMode.Count or CategoryOutputMode.TfIdf;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (id >= 0)
            {
                ref float slot = ref output[((i / rowLength) * depth) + id];
                slot = count ? slot + 1f : 1f;
            }
        }
    }

    /// <summary>Keras' name of an output mode.</summary>
    public static string Name(CategoryOutputMode mode) => mode switch
    {
        CategoryOutputMode.Int => "int",
        CategoryOutputMode.OneHot => "one_hot",
        CategoryOutputMode.MultiHot => "multi_hot",
        CategoryOutputMode.Count => "count",
        _ => "tf_idf",
    };

    /// <summary>
    /// Reads an output mode written under Keras' names (<c>"binary"</c> is Keras' old name of <c>"multi_hot"</c>,
    /// <c>"tf-idf"</c> of <c>"tf_idf"</c>, which only the lookups read: <paramref name="allowTfIdf"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The name is not one of them.</exception>
    public static CategoryOutputMode Read(Config config, string fallback, bool allowTfIdf = false) => config.GetString("output_mode", fallback) switch
    {
        "int" => CategoryOutputMode.Int,
        "one_hot" => CategoryOutputMode.OneHot,
        "multi_hot" or "binary" => CategoryOutputMode.MultiHot,
        "count" => CategoryOutputMode.Count,
        "tf_idf" or "tf-idf" when allowTfIdf => CategoryOutputMode.TfIdf,
        string other => throw config.Error($"\"output_mode\" is \"{FormatError.Shorten(other)}\"; expected {(allowTfIdf ? LookupModeNames : ModeNames)}."),
    };

    /// <summary>Throws unless <paramref name="mode"/> is a defined value, and TF-IDF only where <paramref name="allowTfIdf"/> (the lookups, which carry the weights).</summary>
    public static void CheckDefined(CategoryOutputMode mode, string parameterName, bool allowTfIdf = false)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(parameterName, mode, $"{parameterName} must be one of {string.Join(", ", Enum.GetNames<CategoryOutputMode>())}.");
        }

        if (mode == CategoryOutputMode.TfIdf && !allowTfIdf)
        {
            throw new ArgumentOutOfRangeException(parameterName, mode, $"{parameterName} is TfIdf, which only IntegerLookup and StringLookup support (they carry the inverse document frequencies); expected Int, OneHot, MultiHot or Count.");
        }
    }

    /// <summary>Keras' sparse outputs are not supported: a file may only say <c>"sparse": false</c>.</summary>
    public static void RequireDense(Config config)
    {
        if (config.GetBoolean("sparse", false))
        {
            throw config.Error("sparse outputs are not supported; \"sparse\" must be false.");
        }
    }

    /// <summary>"sample s at position p" for the flat index <paramref name="index"/> in a batch of samples of <paramref name="sampleLength"/> values.</summary>
    public static string Where(int index, int sampleLength) =>
        string.Create(CultureInfo.InvariantCulture, $"sample {index / Math.Max(sampleLength, 1)} at position {index % Math.Max(sampleLength, 1)}");
}
