using System.Globalization;
using System.Runtime.CompilerServices;

namespace NeuralNet.Keras;

/// <summary>
/// The invariant culture, except that asking it how to compare strings fails once the thread's stack is nearly used
/// up. PureHDF 2.2.0 follows soft links without a depth limit, so a file whose soft link leads back into itself recursed
/// until the stack overflowed, which ends the process and cannot be caught. That recursion reads nothing from the file
/// once PureHDF has cached the groups it passes through (a guard on the stream is not enough), but each step looks the
/// link's path up with a culture-sensitive <see cref="string.StartsWith(string)"/>, which asks the thread's culture for
/// its <see cref="CompareInfo"/>. While <see cref="H5WeightsReader"/> calls PureHDF, the thread's culture is this one:
/// the refusal unwinds the recursion, PureHDF reports the link as unresolved (<see cref="PureHDF.IH5UnresolvedLink"/>),
/// and the reader turns that into an <see cref="InvalidDataException"/> naming the link.
/// </summary>
internal sealed class StackGuardCulture : CultureInfo
{
    /// <summary>What a refusal says, as the unresolved link's reason.</summary>
    public const string TooDeep = "the file's links lead too deep (a soft link that leads back into itself)";

    private static readonly StackGuardCulture s_instance = new();

    private StackGuardCulture()
        : base(string.Empty, useUserOverride: false)
    {
    }

    public override CompareInfo CompareInfo
    {
        get
        {
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                throw new InvalidDataException(TooDeep);
            }

            return base.CompareInfo;
        }
    }

    /// <summary>Makes this the thread's culture until the scope is disposed (the culture before it comes back then).</summary>
    public static Scope Enter() => new(CurrentCulture);

    /// <summary>The span in which PureHDF is called with the guard in place.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly CultureInfo _previous;

        internal Scope(CultureInfo previous)
        {
            _previous = previous;
            CurrentCulture = s_instance;
        }

        /// <inheritdoc/>
        public void Dispose() => CurrentCulture = _previous;
    }
}
