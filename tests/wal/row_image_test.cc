#include "sim/wal/row_image.h"

#include <gtest/gtest.h>

namespace replsim::wal {
namespace {

TEST(RowImageTest, EncodesAndDecodesColumns) {
  const std::string image = encode_row(std::vector<std::string>{"17", "Johnson", "", std::string(300, 'z')});
  auto cols = decode_row(image);
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 4u);
  EXPECT_EQ((*cols)[1], "Johnson");
  EXPECT_EQ((*cols)[2], "");
  EXPECT_EQ((*cols)[3].size(), 300u);
  EXPECT_EQ(row_column(image, 1), std::optional<std::string_view>("Johnson"));
  EXPECT_EQ(row_column(image, 4), std::nullopt);
}

TEST(RowImageTest, MalformedImagesAreRejectedAtEveryLength) {
  const std::string image = encode_row(std::vector<std::string>{"17", "Johnson"});
  for (size_t n = 0; n < image.size(); ++n) {
    EXPECT_FALSE(decode_row(image.substr(0, n)).ok()) << n;
    EXPECT_EQ(row_column(image.substr(0, n), 1), std::nullopt) << n;
  }
  EXPECT_FALSE(decode_row(image + "x").ok());
  EXPECT_TRUE(decode_row(encode_row(std::vector<std::string>{})).ok());
}

}  // namespace
}  // namespace replsim::wal
