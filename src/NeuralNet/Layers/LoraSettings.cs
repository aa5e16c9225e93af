using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>lora_rank</c> and <c>lora_alpha</c> arguments of Dense, EinsumDense and Embedding: their checks and their
/// place in configurations (written only when a rank is set, as Keras' <c>get_config</c> does).
/// </summary>
internal static class LoraSettings
{
    // The one check of a rank and an alpha, given to a constructor or to EnableLora: who names the layer (its type before
    // it has a name), parameterName the argument.

    /// <summary>The rank, checked.</summary>
    public static int? CheckRank(int? rank, string who, string parameterName = "LoraRank") => rank is < 1
        ? throw new ArgumentOutOfRangeException(parameterName, rank, string.Create(CultureInfo.InvariantCulture, $"{who} expects a positive LoRA rank (lora_rank) but got {rank}."))
        : rank;

    /// <summary>The alpha, checked.</summary>
    public static float? CheckAlpha(float? alpha, string who, string parameterName = "LoraAlpha") => CheckAlpha((double?)alpha, who, parameterName);

    /// <summary>The alpha given as double (<c>EnableLora(4, 8.0)</c>), checked as float32, the value used (1e39 would be
    /// infinity); as float32.</summary>
    public static float? CheckAlpha(double? alpha, string who, string parameterName) => alpha is double a && !float.IsFinite((float)a)
        ? throw new ArgumentOutOfRangeException(parameterName, alpha, $"{who} expects a finite LoRA alpha (lora_alpha) but got {Float32Hyperparameter.Format(a)}.")
        : (float?)alpha;

    /// <summary>Writes <c>lora_rank</c> and <c>lora_alpha</c> when a rank is set (an alpha that is a whole number as an integer, as Keras' users give it).</summary>
    public static Config SetLora(this Config config, int? rank, float? alpha)
    {
        if (rank is not int r)
        {
            return config;
        }

        float a = alpha ?? r;
        return a == MathF.Round(a) && Math.Abs(a) < int.MaxValue ? config.Set("lora_rank", r).Set("lora_alpha", (int)a) : config.Set("lora_rank", r).Set("lora_alpha", a);
    }

    /// <summary>Reads <c>lora_rank</c> (absent or null: no LoRA) and <c>lora_alpha</c> (absent or null: the rank).</summary>
    /// <exception cref="InvalidDataException">A value is not a positive integer rank or a finite alpha.</exception>
    public static (int? Rank, float? Alpha) Read(Config config)
    {
        int? rank = config.Contains("lora_rank") ? config.GetInt32("lora_rank", minimum: 1) : null;
        float? alpha = rank is null ? null : config.GetNullableSingle("lora_alpha");
        return (rank, alpha);
    }
}
