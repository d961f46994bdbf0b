"""The variant-kanji table: old and variant forms folded to one form.

Used by the name and address normalisers (one Aho-Corasick pass together with
their other literal rules). Every key and value is a single code point that
NFKC leaves unchanged; no value is also a key, so folding twice changes nothing
(both are tested).

Sources (see docs/normalisation.md):

1. 常用漢字表 (平成22年内閣告示第2号, 2010-11-30): the old forms (康熙字典体) the
   table gives in parentheses next to 364 of its characters. 62 of them are CJK
   compatibility ideographs (海 U+FA45 and the like) that NFKC already maps to
   the standard form, so only the 302 others are listed here.
2. 戸籍法施行規則 別表第二 (人名用漢字): the old forms of 別表第二(二) that the
   常用漢字表 does not give (薗, 駈, 嶋, 盃, 冨, 峯, 埜, 凉), and the pairs of
   別表第二(一) that are both allowed in names (亘/亙, 凜/凛 ...): the second
   form is folded to the first.
3. Project additions: variants common in family names that no government list
   pairs with a standard form (髙, 﨑, 邉, 濵, 𠮷 ...), and the simplified forms
   of JIS X 0208:1983 against the printed forms (鷗/鴎 ...) so that a record
   typed on a Shift_JIS system agrees with one typed in Unicode.

Government notices and ordinances are not subject to copyright in Japan
(著作権法 第13条), so sources 1 and 2 carry no licence condition.
"""

from __future__ import annotations

from typing import Final


def _pairs(text: str) -> dict[str, str]:
    """Parse whitespace-separated two-character items "旧新" into {旧: 新}."""
    table: dict[str, str] = {}
    for item in text.split():
        if len(item) != 2:
            raise ValueError(f"variant pair must be two characters: {item!r}")
        table[item[0]] = item[1]
    return table


#: 1. 常用漢字表: parenthesised old form -> standard form (compatibility
#: ideographs left out: NFKC folds them before this table is applied).
JOYO_OLD_FORMS: Final[dict[str, str]] = _pairs(
    """
    亞亜 惡悪 壓圧 圍囲 爲為 醫医 壹壱 稻稲 隱隠 營営 榮栄 衞衛
    驛駅 圓円 緣縁 艷艶 鹽塩 奧奥 應応 橫横 歐欧 毆殴 黃黄 溫温
    穩穏 假仮 價価 畫画 會会 壞壊 懷懐 繪絵 槪概 擴拡 殼殻 覺覚
    學学 嶽岳 樂楽 渴渇 勸勧 卷巻 寬寛 歡歓 罐缶 觀観 關関 陷陥
    歸帰 氣気 龜亀 僞偽 戲戯 犧犠 舊旧 據拠 擧挙 虛虚 峽峡 挾挟
    狹狭 鄕郷 曉暁 區区 驅駆 勳勲 薰薫 徑径 惠恵 揭掲 溪渓 經経
    繼継 莖茎 螢蛍 輕軽 鷄鶏 藝芸 擊撃 缺欠 儉倹 劍剣 圈圏 檢検
    權権 獻献 硏研 縣県 險険 顯顕 驗験 嚴厳 效効 廣広 恆恒 鑛鉱
    號号 國国 黑黒 濟済 碎砕 齋斎 劑剤 櫻桜 雜雑 參参 慘惨 棧桟
    蠶蚕 贊賛 殘残 絲糸 齒歯 兒児 辭辞 濕湿 實実 寫写 釋釈 壽寿
    收収 從従 澁渋 獸獣 縱縦 肅粛 處処 緖緒 敍叙 奬奨 將将 涉渉
    燒焼 稱称 證証 乘乗 剩剰 壤壌 孃嬢 條条 淨浄 狀状 疊畳 讓譲
    釀醸 囑嘱 觸触 寢寝 愼慎 眞真 盡尽 圖図 粹粋 醉酔 隨随 髓髄
    數数 樞枢 瀨瀬 聲声 靜静 齊斉 攝摂 竊窃 專専 戰戦 淺浅 潛潜
    纖繊 踐践 錢銭 禪禅 曾曽 雙双 壯壮 搜捜 插挿 巢巣 爭争 瘦痩
    總総 莊荘 裝装 騷騒 增増 臟臓 藏蔵 卽即 屬属 續続 墮堕 體体
    對対 帶帯 滯滞 臺台 瀧滝 擇択 澤沢 單単 擔担 膽胆 團団 彈弾
    斷断 癡痴 遲遅 晝昼 蟲虫 鑄鋳 廳庁 徵徴 聽聴 敕勅 鎭鎮 遞逓
    鐵鉄 轉転 點点 傳伝 黨党 盜盗 燈灯 當当 鬭闘 德徳 獨独 讀読
    屆届 繩縄 貳弐 惱悩 腦脳 霸覇 廢廃 拜拝 賣売 麥麦 發発 髮髪
    拔抜 晚晩 蠻蛮 祕秘 濱浜 甁瓶 拂払 佛仏 倂併 竝並 變変 邊辺
    辨弁 瓣弁 辯弁 步歩 穗穂 寶宝 襃褒 豐豊 飜翻 每毎 萬万 滿満
    麵麺 默黙 餠餅 戾戻 彌弥 藥薬 譯訳 豫予 餘余 與与 譽誉 搖揺
    樣様 謠謡 來来 賴頼 亂乱 覽覧 龍竜 兩両 獵猟 綠緑 壘塁 淚涙
    勵励 禮礼 靈霊 齡齢 曆暦 歷歴 戀恋 鍊錬 爐炉 勞労 樓楼 郞郎
    錄録 灣湾
"""
)

#: 2a. 人名用漢字 別表第二(二): old forms not given by the 常用漢字表.
JINMEI_OLD_FORMS: Final[dict[str, str]] = _pairs("薗園 駈駆 嶋島 盃杯 冨富 峯峰 埜野 凉涼")

#: 2b. 人名用漢字 別表第二(一): pairs both allowed in names; second -> first.
JINMEI_ALLOWED_PAIRS: Final[dict[str, str]] = _pairs(
    "亙亘 凛凜 堯尭 巖巌 晄晃 檜桧 槇槙 萠萌 禰祢 禱祷 祿禄 穰穣 遙遥"
)

#: 3a. Project additions: family-name variants (髙橋, 山﨑, 渡邉, 𠮷田 ...).
#: 齊 is the old form of 斉 in the 常用漢字表, but in names 齊藤/齋藤/斎藤/斉藤
#: are one family of spellings, so all four fold to 斎 (documented).
NAME_VARIANTS: Final[dict[str, str]] = _pairs(
    """
    髙高 﨑崎 嵜崎 㟢崎 邉辺 濵浜 𠮷吉 𡈽土 齊斎 斉斎 齌斎 藪薮 桒桑 舘館
    渕淵 槗橋 曻昇 篭籠 欝鬱
    """
)

#: 3b. Printed (印刷標準字体) forms -> the JIS X 0208:1983 simplified forms most
#: Shift_JIS data holds (and the 常用漢字表 許容字体 for 剝, 頰, 塡, 𠮟).
JIS_SIMPLIFIED_FORMS: Final[dict[str, str]] = _pairs(
    """
    鷗鴎 蟬蝉 繫繋 摑掴 萊莱 蔣蒋 醬醤 簞箪 顚顛 焰焔 俠侠 俱倶
    吞呑 噓嘘 嚙噛 軀躯 屢屡 驒騨 瀆涜 囊嚢 潑溌 醱醗 蠟蝋 姸妍
    啞唖 攪撹 麴麹 鹼鹸 繡繍 搔掻 屛屏 幷并 彎弯 鰺鯵 鶯鴬 蠣蛎
    竈竃 諫諌 頸頚 礦砿 蘂蕊 賤賎 壺壷 礪砺 濤涛 邇迩 蠅蝿 儘侭
    僭僣 蘆芦 剝剥 頰頬 塡填 𠮟叱
    """
)


def _merge(*tables: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for table in tables:
        merged.update(table)  # later tables win: 齊 -> 斎 (3a) over 齊 -> 斉 (1)
    return merged


#: The table the normalisers apply: {variant: folded form}.
VARIANT_KANJI: Final[dict[str, str]] = _merge(
    JOYO_OLD_FORMS, JINMEI_OLD_FORMS, JINMEI_ALLOWED_PAIRS, NAME_VARIANTS, JIS_SIMPLIFIED_FORMS
)
