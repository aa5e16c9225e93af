using System.Globalization;
using System.Text;

namespace NeuralNet.Models;

/// <summary>
/// Shapes with variable axes (Keras' <c>None</c> lengths). A model declared with them is built twice over: its layers for
/// <see cref="Layers.InputLayer.NominalLength"/> on every variable input axis, and a throwaway copy of each for
/// <see cref="ProbeLength"/>; an axis of a later tensor varies exactly where the two builds give it different lengths, so
/// no layer needs code of its own to say how its output follows its input's length. At run time the model runs every other
/// length on copies of its layers built for it (<see cref="GraphExecutor"/>'s variants).
/// </summary>
internal static class VariableShapes
{
    /// <summary>The length of every variable input axis in the probing build: twice the nominal one, so that no stride or pooling maps both to one length.</summary>
    public const int ProbeLength = 2 * Layers.InputLayer.NominalLength;

    /// <summary>The axes where <paramref name="shape"/> and <paramref name="probe"/> differ.</summary>
    public static int[] Axes(TensorShape shape, TensorShape probe)
    {
        if (shape == probe)
        {
            return [];
        }

        var axes = new List<int>();
        for (int a = 0; a < shape.Rank; a++)
        {
            if (shape[a] != probe[a])
            {
                axes.Add(a);
            }
        }

        return [.. axes];
    }

    /// <summary>Whether a batch's sample shape <paramref name="actual"/> fits a tensor of nominal <paramref name="shape"/>: equal on every fixed axis.</summary>
    public static bool Fits(ReadOnlySpan<int> actual, TensorShape shape, TensorShape probe)
    {
        if (actual.Length != shape.Rank)
        {
            return false;
        }

        for (int a = 0; a < actual.Length; a++)
        {
            if (actual[a] != shape[a] && (shape[a] == probe[a] || actual[a] < 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Keras' form of a tensor's shape: <c>(None, None, 16)</c>, None for the batch and every variable axis.</summary>
    public static string ToBatchString(TensorShape shape, TensorShape probe)
    {
        if (shape == probe)
        {
            return shape.ToBatchString();
        }

        var sb = new StringBuilder("(None");
        for (int a = 0; a < shape.Rank; a++)
        {
            sb.Append(", ").Append(shape[a] == probe[a] ? shape[a].ToString(CultureInfo.InvariantCulture) : "None");
        }

        return sb.Append(')').ToString();
    }
}
