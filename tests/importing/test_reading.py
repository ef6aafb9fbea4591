"""Reading creditors' CSV files: encodings, delimiters, title lines, streaming."""

import io

import pytest

from debtors.importing.reading import CsvFormat, find_header, iter_csv_rows, sniff_csv
from debtors.importing.values import ValueProblem, decimal_style_of, parse_amount

pytestmark = pytest.mark.usefixtures("english_messages")


def read(raw: bytes, **options):
    fmt = sniff_csv(raw)
    return fmt, list(iter_csv_rows(io.BytesIO(raw), fmt, **options))


def test_it_reads_a_windows_1252_file_with_spanish_letters():
    raw = "Nombre;Ciudad\nMUÑOZ PEÑA, José;Cañete\nÁlvaro Núñez;Huánuco\n".encode("cp1252")
    fmt, rows = read(raw)
    assert fmt == CsvFormat(encoding="cp1252", delimiter=";")
    assert rows[1] == ["MUÑOZ PEÑA, José", "Cañete"]
    assert rows[2] == ["Álvaro Núñez", "Huánuco"]


def test_windows_1252_curly_quotes_and_euro_sign_are_not_mistaken_for_utf8():
    raw = "Producto,Saldo\n“Tarjeta Clásica”,1.234 €\n".encode("cp1252")
    fmt, rows = read(raw)
    assert fmt.encoding == "cp1252"
    assert rows[1] == ["“Tarjeta Clásica”", "1.234 €"]


def test_bytes_windows_1252_leaves_undefined_fall_back_to_latin_1():
    raw = b"Nombre,Nota\nPe\xf1a,\x81\n"
    fmt, rows = read(raw)
    assert fmt.encoding == "latin-1"
    assert rows[1][0] == "Peña"


def test_it_strips_a_utf8_bom():
    raw = "\ufeffDNI,Nombre\n12345678,Iñigo\n".encode()
    fmt, rows = read(raw)
    assert fmt.encoding == "utf-8-sig"
    assert rows[0] == ["DNI", "Nombre"]
    assert rows[1] == ["12345678", "Iñigo"]


def test_it_reads_utf8_without_bom():
    fmt, rows = read("DNI|Nombre\n1|Ñandú\n".encode())
    assert (fmt.encoding, fmt.delimiter) == ("utf-8", "|")
    assert rows[1] == ["1", "Ñandú"]


def test_utf8_with_a_few_damaged_bytes_is_still_read_as_utf8():
    """Windows-1252 would decode it, but into "PEÃ‘A": the mojibake gives the choice away."""
    raw = "Nombre;Ciudad\nPEÑA;Cañete\nJosé;Lima\n".encode() + b"Ren\xe9;Ica\n"
    fmt, rows = read(raw)
    assert (fmt.encoding, fmt.errors) == ("utf-8", "replace")
    assert rows[1] == ["PEÑA", "Cañete"]
    assert rows[3] == ["Ren\ufffd", "Ica"]


def test_it_flags_text_that_was_already_mangled_once():
    raw = "Nombre\nMUÃ‘OZ PEÃ±A\n".encode()
    assert sniff_csv(raw).suspected_mojibake
    assert not sniff_csv("Nombre\nMUÑOZ\n".encode()).suspected_mojibake


def test_a_sample_cut_inside_a_character_is_still_utf8():
    raw = ("Nombre,Saldo\n" + "Muñoz,1\n" * 40000).encode()
    cut = raw.index("ñ".encode(), 300_000) + 1
    assert sniff_csv(raw[:cut]).encoding == "utf-8"
    assert sniff_csv(raw).encoding == "utf-8"


def test_a_semicolon_file_with_decimal_commas_and_title_lines():
    raw = (
        "Cartera enviada por Banco X\n"
        "Fecha de corte: 31/10/2026\n"
        "\n"
        "Cód. cliente;DNI;Apellidos y nombres;Saldo deudor;F. Venc.\n"
        "C-001;12345678;PEÑA QUISPE, María;1.234,56;31/10/2026\n"
        "C-002;87654321;ROJAS, Luis;980,10;15/09/2026\n"
        "C-003;11223344;DÍAZ, Ana;12.000,00;01/08/2026\n"
    ).encode("cp1252")
    fmt, rows = read(raw)
    assert fmt.delimiter == ";"
    header = find_header(rows)
    assert rows[header][0] == "Cód. cliente"
    balances = [row[3] for row in rows[header + 1 :]]
    style = decimal_style_of(balances)
    assert style == "comma"
    assert [parse_amount(text, decimal_hint=style) for text in balances] == [
        parse_amount("1234.56"),
        parse_amount("980.10"),
        parse_amount("12000.00"),
    ]


def test_it_reads_a_tab_separated_file():
    fmt, rows = read("DNI\tNombre\tSaldo\n1\tAna, Pérez\t1,234.56\n2\tLuis\t10.00\n".encode())
    assert fmt.delimiter == "\t"
    assert rows[1] == ["1", "Ana, Pérez", "1,234.56"]


def test_it_reads_a_pipe_separated_file():
    fmt, rows = read(b"DNI|Nombre|Saldo\n1|Ana|1.234,56\n2|Luis|10,00\n")
    assert fmt.delimiter == "|"
    assert rows[2] == ["2", "Luis", "10,00"]


def test_delimiters_inside_quotes_do_not_mislead_the_sniffer():
    raw = (
        "id,nombre,direccion,saldo\n"
        '1,"Pérez; Ana","Av. Arequipa 123; dpto 4; Lima","1.234,56"\n'
        '2,"Quispe; Juan","Jr. Cusco 9; Lima","10,00"\n'
    ).encode()
    fmt, rows = read(raw)
    assert fmt.delimiter == ","
    assert rows[1] == ["1", "Pérez; Ana", "Av. Arequipa 123; dpto 4; Lima", "1.234,56"]


def test_commas_inside_quotes_in_a_semicolon_file():
    raw = 'id;nombre;saldo\n1;"Pérez, Ana";"1,5"\n2;"Rojas, Luis";"2,5"\n3;Ana;3\n'.encode()
    fmt, rows = read(raw)
    assert fmt.delimiter == ";"
    assert rows[1] == ["1", "Pérez, Ana", "1,5"]


def test_a_quoted_field_may_hold_a_line_break():
    fmt, rows = read('id,nota\n1,"primera línea\nsegunda línea"\n2,ok\n'.encode())
    assert rows[1] == ["1", "primera línea\nsegunda línea"]
    assert rows[2] == ["2", "ok"]


def test_blank_trailing_lines_are_ignored():
    raw = b"DNI;Nombre\r\n1;Ana\r\n2;Luis\r\n\r\n;\r\n  \r\n\r\n"
    fmt, rows = read(raw)
    assert rows == [["DNI", "Nombre"], ["1", "Ana"], ["2", "Luis"]]
    _fmt, all_rows = read(raw, skip_blank=False)
    assert len(all_rows) == 7


def test_a_single_column_file_defaults_to_commas():
    assert sniff_csv(b"telefono\n987654321\n912345678\n").delimiter == ","


class CountingStream(io.BytesIO):
    """A file that remembers how much of it was read."""

    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def read1(self, size=-1):
        data = super().read1(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.bytes_read += count
        return count


def test_rows_are_streamed_not_read_all_at_once():
    raw = b"dni,nombre,saldo\n" + b"12345678,Ana Perez Quispe,1234.56\n" * 300_000  # about 10 MB
    stream = CountingStream(raw)
    rows = iter_csv_rows(stream, sniff_csv(raw[:65536]))
    first_rows = [next(rows) for _ in range(3)]
    assert first_rows[1] == ["12345678", "Ana Perez Quispe", "1234.56"]
    assert stream.bytes_read < 1_000_000
    rows.close()
    assert not stream.closed  # the caller's file is the caller's to close


def test_a_byte_the_sniffed_encoding_cannot_read_is_reported_with_its_line():
    raw = b"dni,nombre\n" + b"1,Ana\n" * 50_000 + b"2,Pe\xf1a\n"
    fmt = sniff_csv(raw[:4096])
    assert fmt.encoding == "utf-8"
    with pytest.raises(ValueProblem) as problem:
        list(iter_csv_rows(io.BytesIO(raw), fmt))
    assert problem.value.code == "undecodable"


def test_it_finds_the_header_below_title_lines_and_blank_lines():
    rows = [
        ["Cartera enviada por Banco X"],
        ["Fecha de corte: 31/10/2026", ""],
        [],
        ["", "", ""],
        ["Código de cliente", "Documento", "Titular", "Teléfono", "Saldo", "Vencimiento"],
        ["C1", "12345678", "Ana", "987654321", "10,00", "31/10/2026"],
    ]
    assert find_header(rows) == 4


def test_the_header_scores_above_a_title_that_mentions_a_field():
    rows = [
        ["Reporte de saldo deudor y fecha de vencimiento al 31/10/2026"],
        ["DNI", "Nombre", "Monto adeudado"],
        ["1", "Ana", "5"],
    ]
    assert find_header(rows) == 1


def test_it_accepts_its_own_list_of_known_headers():
    rows = [["Listado"], ["Foo", "Bar", "Zip"], ["1", "2", "3"]]
    assert find_header(rows, known_headers=["ZIP", "bar"]) == 1


def test_without_known_headers_the_first_full_width_row_is_the_header():
    rows = [["Listado de clientes"], [""], ["Uno", "Dos", "Tres"], ["1", "2", "3"]]
    assert find_header(rows) == 2


def test_a_file_of_blank_rows_has_no_header():
    with pytest.raises(ValueProblem) as problem:
        find_header([[], ["", ""]])
    assert problem.value.code == "no_header"
