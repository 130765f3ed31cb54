// PostgreSQL 15's input functions for the column types of the data sets, as a scenario's values
// meet them: the harness binds each value as a text parameter, and the server converts it with
// the column type's input function (8.1 "Numeric Types", 8.3 "Character Types";
// src/backend/utils/adt/numutils.c pg_strtoint32, numeric.c numeric_in and apply_typmod). The
// simulator stores what PostgreSQL would store, in canonical text ("+5" -> "5", "1.005" ->
// "1.01"), and refuses what PostgreSQL refuses, with its SQLSTATE. docs/model.md, "Steps
// PostgreSQL refuses".
#pragma once

#include <string>
#include <string_view>

#include "vocab/dataset.h"

namespace replsim::sim {

// A converted value, or the ERROR PostgreSQL raises for it.
struct InputValue {
  bool ok = true;
  std::string value;     // Canonical text as stored (ok only).
  std::string sqlstate;  // "22P02" invalid_text_representation, "22003" numeric_value_out_of_range.
  std::string message;   // PostgreSQL's primary message.
};

// What the row images hold for an empty text value: "" stands for NULL there (wal/row_image.h
// has no NULL), and a text value cannot contain a NUL byte (PostgreSQL's text type cannot).
inline const std::string kEmptyText(1, '\0');

// int4in (pg_strtoint32): optional leading and trailing whitespace, an optional sign, decimal
// digits; out of the int4 range is 22003.
InputValue int4_input(std::string_view text);
// numeric_in without a type modifier: whitespace, sign, digits with an optional point and
// exponent, or NaN / Infinity (any case). Canonical text: the shortest exact decimal.
InputValue numeric_input(std::string_view text);
// numeric_in, then apply_typmod for numeric(precision, scale): rounded to `scale` digits (half
// away from zero); more than precision - scale integer digits, or an infinity, is 22003.
InputValue numeric_input(std::string_view text, int precision, int scale);

// A value bound to `column`: in a row (typmod applied, as the INSERT's or UPDATE's target list
// coerces it), or as a WHERE parameter (the bare type: no typmod).
enum class InputUse { kStored, kCompared };
InputValue column_input(const ColumnSpec& column, std::string_view text, InputUse use);

// Whether a stored canonical value equals a compared canonical value of `column`, as `=` does.
// A stored "" is NULL and equals nothing.
bool column_equal(const ColumnSpec& column, std::string_view stored, std::string_view compared);

}  // namespace replsim::sim
