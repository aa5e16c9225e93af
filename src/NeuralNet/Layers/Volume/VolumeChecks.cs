using System.Globalization;
using System.Text.Json;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Argument checks and configuration readers shared by the 3-D layers, with Keras' rules and messages that name the layer.</summary>
internal static class VolumeChecks
{
    /// <summary>Throws unless every entry of <paramref name="triple"/> is at least 1.</summary>
    public static void Positive(string layer, (int Depth, int Height, int Width) triple, string parameter, string what)
    {
        if (triple.Depth < 1 || triple.Height < 1 || triple.Width < 1)
        {
            throw new ArgumentOutOfRangeException(parameter, triple, $"{layer} expects positive {what}. Received: {parameter}={Describe(triple)}.");
        }
    }

    /// <summary>Keras: "`strides > 1` not supported in conjunction with `dilation_rate > 1`".</summary>
    public static void StridesWithDilation(string layer, (int Depth, int Height, int Width) strides, (int Depth, int Height, int Width) dilation)
    {
        if (BothExceedOne(strides, dilation))
        {
            throw new ArgumentOutOfRangeException("dilationRate", dilation,
                $"{layer} cannot combine strides > 1 with dilationRate > 1, as in Keras. Received: strides={Describe(strides)}, dilationRate={Describe(dilation)}.");
        }
    }

    /// <summary>Whether strides and dilation both exceed 1 on some axis, which Keras refuses.</summary>
    public static bool BothExceedOne((int Depth, int Height, int Width) strides, (int Depth, int Height, int Width) dilation) =>
        Math.Max(strides.Depth, Math.Max(strides.Height, strides.Width)) > 1 && Math.Max(dilation.Depth, Math.Max(dilation.Height, dilation.Width)) > 1;

    /// <summary>The input-rank check of the 3-D layers, naming the layer and the shape received.</summary>
    public static void Volume(string layer, TensorShape inputShape)
    {
        if (inputShape.Rank != 4)
        {
            throw new ArgumentException(
                $"{layer} expects input of rank 4 per sample (depth, height, width, channels), such as (None, 16, 32, 32, 3), but got {inputShape.ToBatchString()}.",
                nameof(inputShape));
        }
    }

    /// <summary>The geometry of a 3-D window over <paramref name="inputShape"/>; throws, naming the layer, when no window fits.</summary>
    public static VolumeGeometry Geometry(string layer, TensorShape inputShape, (int Depth, int Height, int Width) window, (int Depth, int Height, int Width) strides,
        (int Depth, int Height, int Width) dilation, Padding padding)
    {
        Volume(layer, inputShape);
        if (!VolumeGeometry.TryCreate(inputShape[0], inputShape[1], inputShape[2], inputShape[3], window, strides, dilation, padding == Padding.Same, out VolumeGeometry g))
        {
            string advice = padding == Padding.Same ? "use a smaller window or dilation" : "use 'same' padding or a larger input";
            throw new ArgumentException(
                $"{layer}: a window {Describe(window)} with dilation {Describe(dilation)} does not fit input {inputShape.ToBatchString()} with padding {padding}; {advice}.",
                nameof(inputShape));
        }

        return g;
    }

    /// <summary>The element count of a sample of the given sizes, or a clear exception naming the layer when it exceeds what a tensor holds.</summary>
    public static TensorShape Shape(string layer, long depth, long height, long width, long channels, string cause)
    {
        if (depth < 1 || height < 1 || width < 1 || depth > int.MaxValue || height > int.MaxValue || width > int.MaxValue
            || (Int128)depth * height * width * channels > int.MaxValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer}: {cause} gives a sample of ({depth}, {height}, {width}, {channels}), more elements than a tensor holds."), "inputShape");
        }

        return new TensorShape((int)depth, (int)height, (int)width, (int)channels);
    }

    /// <summary>Throws, naming the layer, when a kernel of these sizes holds more elements than a tensor can.</summary>
    public static void KernelFits(string layer, (int Depth, int Height, int Width) kernel, int channels, int filters)
    {
        if ((Int128)kernel.Depth * kernel.Height * kernel.Width * channels * filters > int.MaxValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer}: a kernel {Describe(kernel)} over {channels} channels with {filters} filters holds more elements than a tensor can."), "inputShape");
        }
    }

    /// <summary>"(a, b, c)".</summary>
    public static string Describe((int Depth, int Height, int Width) triple) =>
        string.Create(CultureInfo.InvariantCulture, $"({triple.Depth}, {triple.Height}, {triple.Width})");

    /// <summary>A Keras 3-D size: an integer n (meaning (n, n, n)) or a list [a, b, c], each at least <paramref name="minimum"/>; null when absent.</summary>
    public static (int Depth, int Height, int Width)? ReadTriple(Config config, string key, int minimum = 1)
    {
        if (!config.Contains(key) || config.GetNode(key) is null)
        {
            return null;
        }

        if (config.GetNode(key)!.GetValueKind() == JsonValueKind.Number)
        {
            int n = config.GetInt32(key, minimum: minimum);
            return (n, n, n);
        }

        int[] triple = config.GetInt32Array(key, 3, minimum: minimum);
        return triple.Length == 3 ? (triple[0], triple[1], triple[2]) : throw config.Error($"\"{key}\" must be an integer or a list of three integers.");
    }
}
