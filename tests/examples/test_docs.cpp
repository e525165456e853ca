// The documentation's links lead somewhere, and the book's first example is
// shown as the 2nd edition has it (issue 13 item 22).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
const fs::path kRoot = NABLA_SOURCE_DIR;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<fs::path> markdown_files() {
    std::vector<fs::path> files{kRoot / "README.md"};
    for (const auto& e : fs::directory_iterator(kRoot / "docs"))
        if (e.path().extension() == ".md") files.push_back(e.path());
    return files;
}

// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'.
std::string slug(const std::string& heading) {
    std::string out;
    for (unsigned char c : heading) {
        if (std::isalnum(c) || c == '-' || c == '_') out += static_cast<char>(std::tolower(c));
        else if (c == ' ') out += '-';
        else if (c >= 0x80) out += static_cast<char>(c);  // keep UTF-8 letters
    }
    return out;
}

std::set<std::string> anchors(const fs::path& md) {
    std::set<std::string> out;
    std::istringstream in(slurp(md));
    bool fenced = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("```", 0) == 0) fenced = !fenced;
        if (fenced || line.empty() || line[0] != '#') continue;
        const auto text = line.find_first_not_of("# ");
        if (text != std::string::npos) out.insert(slug(line.substr(text)));
    }
    return out;
}

TEST(Docs, EveryRelativeLinkLeadsToAFileAndHeading) {
    const std::regex link(R"(\]\(([^)\s]+)\))");
    for (const fs::path& md : markdown_files()) {
        const std::string text = slurp(md);
        for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
            const std::string target = (*it)[1];
            if (target.rfind("http", 0) == 0 || target.rfind("mailto:", 0) == 0) continue;
            const auto hash = target.find('#');
            const std::string file = target.substr(0, hash);
            const fs::path resolved = file.empty() ? md : md.parent_path() / file;
            ASSERT_TRUE(fs::exists(resolved)) << md.filename() << " links to " << target << ", which does not exist";
            if (hash != std::string::npos && resolved.extension() == ".md") {
                EXPECT_TRUE(anchors(resolved).count(target.substr(hash + 1)))
                    << md.filename() << " links to " << target << ": no such heading";
            }
        }
    }
}

TEST(Docs, SourceCommentsNameExistingDocs) {
    const std::regex doc_ref(R"(docs/([A-Za-z_]+\.md))");
    for (const char* dir : {"include", "src", "apps", "examples"})
        for (const auto& e : fs::recursive_directory_iterator(kRoot / dir)) {
            if (!e.is_regular_file()) continue;
            const std::string text = slurp(e.path());
            for (auto it = std::sregex_iterator(text.begin(), text.end(), doc_ref); it != std::sregex_iterator(); ++it)
                EXPECT_TRUE(fs::exists(kRoot / "docs" / (*it)[1].str()))
                    << e.path() << " refers to docs/" << (*it)[1] << ", which does not exist";
        }
}

TEST(Docs, TheBooksFirstExampleIsThe2ndEditions) {
    for (const fs::path& p : {kRoot / "README.md", kRoot / "docs" / "models.md", kRoot / "examples" / "mnist_mlp.cpp"}) {
        const std::string text = slurp(p);
        EXPECT_EQ(text.find("2.x"), std::string::npos) << p << ": placeholder listing numbers";
        const auto sparse = text.find("sparse_categorical_crossentropy");
        const auto one_hot = text.find("\"categorical_crossentropy\"");
        ASSERT_NE(sparse, std::string::npos) << p << " does not show the 2nd edition's loss";
        ASSERT_NE(one_hot, std::string::npos) << p << " does not mention the 1st edition's variant";
        EXPECT_LT(sparse, one_hot) << p << ": the 1st edition's listing comes first";
        EXPECT_NE(text.find("1st edition"), std::string::npos) << p;
    }
    // The book's two reported figures, each said to be one run.
    for (const fs::path& p : {kRoot / "README.md", kRoot / "docs" / "models.md"}) {
        std::string text = slurp(p);
        for (char& c : text)
            if (c == '\n') c = ' ';
        EXPECT_NE(text.find("test accuracy 0.9812 in one run and 0.978 in another"), std::string::npos) << p;
    }
}

}  // namespace
