using System.Text;
using HardNegOT.Data;
using HardNegOT.IO;

namespace HardNegOT.Torch.Multimodal;

/// <summary>A caption file or folder that cannot be read; the message names the file and, for CSV, the line.</summary>
public sealed class CaptionDataException : DataFileFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The CSV file or image folder.</param>
    /// <param name="line">One-based line of the CSV, or null.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CaptionDataException(string path, int? line, string problem, Exception? innerException = null)
        : base("captioned-image", path, line is { } l ? $"line {l}: {problem}" : problem, innerException)
    {
        Line = line;
    }

    /// <summary>One-based CSV line at fault, or null.</summary>
    public int? Line { get; }
}

/// <summary>
/// Loads paired images and captions into an <see cref="ImageCaptionSet"/> (greyscale, see <see cref="ImageFiles"/>):
/// from a CSV with a header naming an image column (image, image_path, path, file or filename), a caption column
/// (caption or text) and optionally an integer label column; or from a folder of images each with a same-named
/// <c>.txt</c> caption.
/// </summary>
public static class CaptionedImageLoader
{
    private static readonly string[] ImageColumns = ["image", "image_path", "path", "file", "filename"];
    private static readonly string[] CaptionColumns = ["caption", "text"];

    /// <summary>
    /// Reads a CSV (RFC 4180 quoting within a line; blank lines skipped). Relative image paths are resolved against
    /// the CSV's directory. Every row needs an existing, decodable image and a non-empty caption.
    /// </summary>
    /// <param name="csvPath">The CSV file.</param>
    /// <param name="options">Image size and polarity.</param>
    /// <exception cref="FileNotFoundException">The CSV does not exist.</exception>
    /// <exception cref="CaptionDataException">A header, row or image is bad; the message names the CSV line.</exception>
    public static ImageCaptionSet LoadCsv(string csvPath, ImageLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(csvPath);
        options ??= new ImageLoadOptions();
        options.Validate();
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"Caption CSV '{csvPath}' does not exist.", csvPath);
        string root = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        int imageColumn = -1, captionColumn = -1, labelColumn = -1, columns = 0, lineNumber = 0;
        bool header = true;
        var pixels = new List<float[]>();
        var captions = new List<string>();
        var labels = new List<int>();
        var sources = new List<string>();
        foreach (var line in File.ReadLines(csvPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = ParseLine(line, csvPath, lineNumber);
            if (header)
            {
                var names = fields.Select(f => f.Trim().ToLowerInvariant()).ToArray();
                imageColumn = Array.FindIndex(names, ImageColumns.Contains);
                captionColumn = Array.FindIndex(names, CaptionColumns.Contains);
                labelColumn = Array.IndexOf(names, "label");
                if (imageColumn < 0 || captionColumn < 0)
                    throw new CaptionDataException(csvPath, lineNumber,
                        $"the header [{string.Join(", ", fields)}] lacks {(imageColumn < 0 ? $"an image column ({string.Join(", ", ImageColumns)})" : "")}{(imageColumn < 0 && captionColumn < 0 ? " and " : "")}{(captionColumn < 0 ? $"a caption column ({string.Join(", ", CaptionColumns)})" : "")}.");
                columns = fields.Count;
                header = false;
                continue;
            }
            if (fields.Count != columns)
                throw new CaptionDataException(csvPath, lineNumber, $"{fields.Count} fields but the header has {columns}.");
            string image = fields[imageColumn].Trim();
            string caption = fields[captionColumn].Trim();
            if (image.Length == 0) throw new CaptionDataException(csvPath, lineNumber, "the image path is empty.");
            if (caption.Length == 0) throw new CaptionDataException(csvPath, lineNumber, $"the caption of '{image}' is empty.");
            if (labelColumn >= 0)
            {
                if (!int.TryParse(fields[labelColumn].Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int label) || label < 0)
                    throw new CaptionDataException(csvPath, lineNumber, $"label '{fields[labelColumn]}' is not a non-negative integer.");
                labels.Add(label);
            }
            string imagePath = Path.IsPathRooted(image) ? image : Path.Combine(root, image);
            pixels.Add(ReadImage(imagePath, options, csvPath, lineNumber));
            captions.Add(caption);
            sources.Add($"{csvPath}:{lineNumber}");
        }
        if (header) throw new CaptionDataException(csvPath, null, "the file is empty; it needs a header and at least one row.");
        if (captions.Count == 0) throw new CaptionDataException(csvPath, null, "the file has a header but no rows.");
        return Assemble(pixels, captions, labelColumn >= 0 ? labels.ToArray() : null, sources, options);
    }

    /// <summary>
    /// Reads every image (<see cref="ImageFiles.Extensions"/>, case-insensitive) directly in <paramref name="directory"/>,
    /// in ordinal file-name order, with its caption from the UTF-8 file of the same name and extension <c>.txt</c>.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <param name="options">Image size and polarity.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="CaptionDataException">There are no images, or an image lacks its caption or cannot be decoded.</exception>
    public static ImageCaptionSet LoadFolder(string directory, ImageLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new ImageLoadOptions();
        options.Validate();
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Image folder '{directory}' does not exist.");
        var images = Directory.EnumerateFiles(directory)
            .Where(f => ImageFiles.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();
        if (images.Count == 0)
            throw new CaptionDataException(directory, null, $"no images ({string.Join(", ", ImageFiles.Extensions)}) in the folder.");
        var pixels = new List<float[]>();
        var captions = new List<string>();
        foreach (var image in images)
        {
            string captionPath = Path.ChangeExtension(image, ".txt");
            if (!File.Exists(captionPath))
                throw new CaptionDataException(directory, null, $"image '{Path.GetFileName(image)}' has no caption file '{Path.GetFileName(captionPath)}'.");
            string caption = string.Join(' ', File.ReadAllText(captionPath).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            if (caption.Length == 0) throw new CaptionDataException(captionPath, null, "the caption is empty.");
            pixels.Add(ReadImage(image, options, directory, null));
            captions.Add(caption);
        }
        return Assemble(pixels, captions, null, images, options);
    }

    private static float[] ReadImage(string imagePath, ImageLoadOptions options, string source, int? line)
    {
        try
        {
            return ImageFiles.ReadGreyscale(imagePath, options);
        }
        catch (FileNotFoundException ex)
        {
            throw new CaptionDataException(source, line, $"image file '{imagePath}' does not exist.", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new CaptionDataException(source, line, ex.Message, ex);
        }
    }

    private static ImageCaptionSet Assemble(List<float[]> pixels, List<string> captions, int[]? labels, IReadOnlyList<string> sources, ImageLoadOptions options)
    {
        int ppi = options.Width * options.Height;
        var all = new float[pixels.Count * ppi];
        for (int i = 0; i < pixels.Count; i++) pixels[i].CopyTo(all, i * ppi);
        return new ImageCaptionSet(all, options.Height, options.Width, captions.ToArray(), labels, groups: null, sources: sources.ToArray());
    }

    // One physical line into fields: commas separate, double quotes enclose, "" inside quotes is a quote.
    private static List<string> ParseLine(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                        throw new CaptionDataException(path, lineNumber, "a quoted field is not closed (fields spanning lines are not supported).");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                if (i < line.Length && line[i] != ',')
                    throw new CaptionDataException(path, lineNumber, $"unexpected '{line[i]}' after a closing quote at column {i + 1}.");
            }
            else
            {
                while (i < line.Length && line[i] != ',') field.Append(line[i++]);
            }
            fields.Add(field.ToString());
            field.Clear();
            if (i >= line.Length) return fields;
            i++; // the comma
        }
    }
}
