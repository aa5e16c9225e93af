using NeuralNet.Constraints;

namespace NeuralNet.Serialization;

/// <summary>Keras 3's weight constraints under their class names and identifiers, with Keras' defaults for absent keys.</summary>
internal static class BuiltInConstraints
{
    public static void Register()
    {
        SerializationRegistry.AddBuiltIn("MaxNorm", c => new MaxNorm(c.GetSingle("max_value", 2f), NormAxes.Read(c, 0)), "max_norm");
        SerializationRegistry.AddBuiltIn("MinMaxNorm", c => new MinMaxNorm(c.GetSingle("min_value", 0f), c.GetSingle("max_value", 1f), c.GetSingle("rate", 1f), NormAxes.Read(c, 0)), "min_max_norm");
        SerializationRegistry.AddBuiltIn("UnitNorm", c => new UnitNorm(NormAxes.Read(c, 0)), "unit_norm");
        SerializationRegistry.AddBuiltIn("NonNeg", _ => new NonNeg(), "non_neg");
    }
}
