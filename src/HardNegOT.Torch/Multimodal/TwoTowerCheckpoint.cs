using System.Text.Json;
using System.Text.Json.Serialization;
using HardNegOT.Text;

namespace HardNegOT.Torch.Multimodal;

/// <summary>A two-tower model with the tokenizer it reads text with.</summary>
/// <param name="Model">The model, in evaluation mode.</param>
/// <param name="Tokenizer">Its tokenizer.</param>
public sealed record TwoTowerBundle(TwoTowerModel Model, TextTokenizer Tokenizer);

/// <summary>
/// Saves and loads a two-tower model as a directory: <see cref="ConfigFileName"/> (the <see cref="TwoTowerOptions"/>
/// and the tokenizer's length), <see cref="VocabularyFileName"/> and <see cref="WeightsFileName"/> (TorchSharp state
/// dict). <see cref="LoadWeights"/> loads a user-supplied weights file into a model built from known options.
/// </summary>
public static class TwoTowerCheckpoint
{
    /// <summary>Options and tokenizer length, JSON.</summary>
    public const string ConfigFileName = "two-tower.json";

    /// <summary>The tokenizer's vocabulary (see <see cref="Vocabulary.Save"/>).</summary>
    public const string VocabularyFileName = "vocabulary.json";

    /// <summary>The state dict (see <see cref="StateDictFile"/>).</summary>
    public const string WeightsFileName = "weights.bin";

    /// <summary>Value of the "format" field of the config.</summary>
    public const string FormatName = "hardnegot-two-tower";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private sealed record Config(string Format, int Version, int TokenizerMaxLength, TwoTowerOptions Model);

    /// <summary>Writes the three files into <paramref name="directory"/> (created if needed).</summary>
    /// <param name="directory">Target directory.</param>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer; the vocabulary size must match the model's.</param>
    public static void Save(string directory, TwoTowerModel model, TextTokenizer tokenizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        CheckTokenizerFits(model.Options, tokenizer.Vocabulary.Count, tokenizer.MaxLength, nameof(tokenizer));
        Directory.CreateDirectory(directory);
        var config = new Config(FormatName, 1, tokenizer.MaxLength, model.Options);
        File.WriteAllText(Path.Combine(directory, ConfigFileName), JsonSerializer.Serialize(config, Json) + "\n");
        tokenizer.Vocabulary.Save(Path.Combine(directory, VocabularyFileName));
        model.save(Path.Combine(directory, WeightsFileName));
    }

    /// <summary>Rebuilds the model and tokenizer saved by <see cref="Save"/>; the model is returned in evaluation mode.</summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the three files is missing.</exception>
    /// <exception cref="ModelWeightsException">The config or weights are malformed or disagree.</exception>
    public static TwoTowerBundle Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Two-tower checkpoint directory '{directory}' does not exist.");
        string configPath = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"'{directory}' holds no {ConfigFileName}; is it a two-tower checkpoint?", configPath);
        Config config;
        try
        {
            config = JsonSerializer.Deserialize<Config>(File.ReadAllText(configPath), Json)
                ?? throw new ModelWeightsException(configPath, "the file is empty.");
            if (config.Format != FormatName || config.Version != 1)
                throw new ModelWeightsException(configPath, $"format '{config.Format}' version {config.Version}; expected '{FormatName}' version 1.");
            ArgumentNullException.ThrowIfNull(config.Model);
            config.Model.Validate();
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new ModelWeightsException(configPath, ex.Message, ex);
        }
        var vocabulary = Vocabulary.Load(Path.Combine(directory, VocabularyFileName));
        TextTokenizer tokenizer;
        try
        {
            tokenizer = new TextTokenizer(vocabulary, config.TokenizerMaxLength);
            CheckTokenizerFits(config.Model, vocabulary.Count, config.TokenizerMaxLength, "tokenizer");
        }
        catch (ArgumentException ex)
        {
            throw new ModelWeightsException(configPath, ex.Message, ex);
        }
        var model = new TwoTowerModel(config.Model);
        try
        {
            StateDictFile.Load(model, Path.Combine(directory, WeightsFileName));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new TwoTowerBundle(model, tokenizer);
    }

    /// <summary>
    /// Builds a model from <paramref name="options"/> and loads a user-supplied state-dict file into it, checking every
    /// name, shape and element type first; the model is returned in evaluation mode.
    /// </summary>
    /// <param name="options">The options the weights were trained with.</param>
    /// <param name="weightsPath">A TorchSharp state dict of a <see cref="TwoTowerModel"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelWeightsException">The file is unreadable or does not fit the options.</exception>
    public static TwoTowerModel LoadWeights(TwoTowerOptions options, string weightsPath)
    {
        var model = new TwoTowerModel(options);
        try
        {
            StateDictFile.Load(model, weightsPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    private static void CheckTokenizerFits(TwoTowerOptions options, int vocabularySize, int maxLength, string name)
    {
        if (vocabularySize != options.Text.VocabularySize)
            throw new ArgumentException($"The vocabulary has {vocabularySize} tokens but the model's text tower expects {options.Text.VocabularySize}.", name);
        if (maxLength > options.Text.MaxLength)
            throw new ArgumentException($"The tokenizer writes {maxLength} tokens but the model's positions cover {options.Text.MaxLength}.", name);
    }
}
