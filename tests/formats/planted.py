"""Two leaked people and a five-row broker table holding them (rows 3 and 5), written
differently: the planted survivors the format readers' end-to-end tests look for."""

from __future__ import annotations

LEAKED_CSV = (
    "ID,氏名,電話番号,住所\n"
    "L001,山田太郎,090-1111-2222,東京都千代田区千代田1-1\n"
    "L002,佐藤花子,080-3333-4444,大阪府大阪市北区梅田3-1-1\n"
)
#: The broker's rows: the leaked people at rows 3 and 5, written differently.
BROKER = [
    ("別人 次郎", "京都府京都市左京区1-1-1", "075-000-0000"),
    ("別人 三郎", "京都府京都市左京区2-2-2", "075-111-1111"),
    ("山田 太郎", "東京都千代田区千代田1丁目1番", "09011112222"),
    ("別人 四郎", "京都府京都市左京区3-3-3", "075-222-2222"),
    ("佐藤花子", "大阪府大阪市北区梅田三丁目1番1号", "+81-80-3333-4444"),
]
