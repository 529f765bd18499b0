"""Issue 28's index-types question over the PostgreSQL docs' own passages (the "Index Types" page and the pages an
earlier outline wrongly took: "JSON Types", "Network Address Types", "What Is PostgreSQL?"), with scripted models:
the outline has one section per core index type, each saying when to use it from its own subsection, and no
section off the question's subject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import make_index, scripts

from scent.agent import Agent, AgentConfig
from scent.research.run import Researcher
from scent.trace import TraceWriter, read_trace

QUESTION = "What index types does PostgreSQL offer, and when should each be used?"
CORE = ["B-Tree", "Hash", "GiST", "SP-GiST", "GIN", "BRIN"]
# what each type's subsection says about when to use it (a reader's check, not the program's cue words)
USE = {"B-Tree": ("equality and range queries", "consider using a B-tree index whenever"),
       "Hash": ("simple equality comparisons", "consider using a hash index whenever"),
       "GiST": ("geometric data types", "nearest-neighbor"),
       "SP-GiST": ("nearest-neighbor", "two-dimensional points", "various kinds of searches"),
       "GIN": ("appropriate for data values that contain multiple component values",
               "efficiently handle queries"),
       "BRIN": ("most effective for columns", "linear sort order")}

PG_PAGES = {  # passages of the PostgreSQL 15 docs, as the index of /usr/share/doc/postgresql-doc-15/html holds them
    'indexes-types.md': (
        "# 11.2. Index Types\n\nPostgreSQL provides several index types: B-tree, Hash, GiST, SP-GiST, GIN, BR"
        "IN, and the extension bloom. Each index type uses a different algorithm that is best suited to diffe"
        "rent types of indexable clauses. By default, the CREATE INDEX command creates B-tree indexes, which "
        "fit the most common situations. The other index types are selected by writing the keyword USING foll"
        "owed by the index type name. For example, to create a Hash index:\n\nCREATE INDEX name ON table USIN"
        "G HASH (column);\n\n## 11.2.1. B-Tree\n\nB-trees can handle equality and range queries on data that "
        "can be sorted into some ordering. In particular, the PostgreSQL query planner will consider using a "
        "B-tree index whenever an indexed column is involved in a comparison using one of these operators:\n"
        "\n< \xa0 <= \xa0 = \xa0 >= \xa0 >\n\nConstructs equivalent to combinations of these operators, such "
        "as BETWEEN and IN, can also be implemented with a B-tree index search. Also, an IS NULL or IS NOT NU"
        "LL condition on an index column can be used with a B-tree index.\n\nThe optimizer can also use a B-t"
        "ree index for queries involving the pattern matching operators LIKE and ~ if the pattern is a consta"
        "nt and is anchored to the beginning of the string — for example, col LIKE 'foo%' or col ~ '^foo', bu"
        "t not col LIKE '%bar'. However, if your database does not use the C locale you will need to create t"
        "he index with a special operator class to support indexing of pattern-matching queries; see Section "
        "11.10 below. It is also possible to use B-tree indexes for ILIKE and ~*, but only if the pattern sta"
        "rts with non-alphabetic characters, i.e., characters that are not affected by upper/lower case conve"
        "rsion.\n\nB-tree indexes can also be used to retrieve data in sorted order. This is not always faste"
        "r than a simple scan and sort, but it is often helpful.\n\n## 11.2.2. Hash\n\nHash indexes store a 3"
        "2-bit hash code derived from the value of the indexed column. Hence, such indexes can only handle si"
        "mple equality comparisons. The query planner will consider using a hash index whenever an indexed co"
        "lumn is involved in a comparison using the equal operator:\n\n=\n\n## 11.2.3. GiST\n\nGiST indexes a"
        "re not a single kind of index, but rather an infrastructure within which many different indexing str"
        "ategies can be implemented. Accordingly, the particular operators with which a GiST index can be use"
        "d vary depending on the indexing strategy (the operator class). As an example, the standard distribu"
        "tion of PostgreSQL includes GiST operator classes for several two-dimensional geometric data types, "
        "which support indexed queries using these operators:\n\n<< \xa0 &< \xa0 &> \xa0 >> \xa0 <<| \xa0 &<|"
        " \xa0 |&> \xa0 |>> \xa0 @> \xa0 <@ \xa0 ~= \xa0 &&\n\n(See Section 9.11 for the meaning of these ope"
        "rators.) The GiST operator classes included in the standard distribution are documented in Table 68."
        "1. Many other GiST operator classes are available in the contrib collection or as separate projects."
        " For more information see Chapter 68.\n\nGiST indexes are also capable of optimizing “nearest-neighb"
        "or” searches, such as\n\nSELECT * FROM places ORDER BY location <-> point '(101,456)' LIMIT 10;\n\nw"
        "hich finds the ten places closest to a given target point. The ability to do this is again dependent"
        " on the particular operator class being used. In Table 68.1, operators that can be used in this way "
        "are listed in the column “Ordering Operators”.\n\n## 11.2.4. SP-GiST\n\nSP-GiST indexes, like GiST i"
        "ndexes, offer an infrastructure that supports various kinds of searches. SP-GiST permits implementat"
        "ion of a wide range of different non-balanced disk-based data structures, such as quadtrees, k-d tre"
        "es, and radix trees (tries). As an example, the standard distribution of PostgreSQL includes SP-GiST"
        " operator classes for two-dimensional points, which support indexed queries using these operators:\n"
        "\n<< \xa0 >> \xa0 ~= \xa0 <@ \xa0 <<| \xa0 |>>\n\n(See Section 9.11 for the meaning of these operato"
        "rs.) The SP-GiST operator classes included in the standard distribution are documented in Table 69.1"
        ". For more information see Chapter 69.\n\nLike GiST, SP-GiST supports “nearest-neighbor” searches. F"
        "or SP-GiST operator classes that support distance ordering, the corresponding operator is listed in "
        "the “Ordering Operators” column in Table 69.1.\n\n## 11.2.5. GIN\n\nGIN indexes are “inverted indexe"
        "s” which are appropriate for data values that contain multiple component values, such as arrays. An "
        "inverted index contains a separate entry for each component value, and can efficiently handle querie"
        "s that test for the presence of specific component values.\n\nLike GiST and SP-GiST, GIN can support"
        " many different user-defined indexing strategies, and the particular operators with which a GIN inde"
        "x can be used vary depending on the indexing strategy. As an example, the standard distribution of P"
        "ostgreSQL includes a GIN operator class for arrays, which supports indexed queries using these opera"
        "tors:\n\n<@ \xa0 @> \xa0 = \xa0 &&\n\n(See Section 9.19 for the meaning of these operators.) The GIN"
        " operator classes included in the standard distribution are documented in Table 70.1. Many other GIN"
        " operator classes are available in the contrib collection or as separate projects. For more informat"
        "ion see Chapter 70.\n\n## 11.2.6. BRIN\n\nBRIN indexes (a shorthand for Block Range INdexes) store s"
        "ummaries about the values stored in consecutive physical block ranges of a table. Thus, they are mos"
        "t effective for columns whose values are well-correlated with the physical order of the table rows. "
        "Like GiST, SP-GiST and GIN, BRIN can support many different indexing strategies, and the particular "
        "operators with which a BRIN index can be used vary depending on the indexing strategy. For data type"
        "s that have a linear sort order, the indexed data corresponds to the minimum and maximum values of t"
        "he values in the column for each block range. This supports indexed queries using these operators:\n"
        "\n< \xa0 <= \xa0 = \xa0 >= \xa0 >\n\nThe BRIN operator classes included in the standard distribution"
        " are documented in Table 71.1. For more information see Chapter 71.\n"
    ),
    'datatype-json.md': (
        '# 8.14. JSON Types\n\nJSON data types are for storing JSON (JavaScript Object Notation) data, as spe'
        'cified in RFC 7159. Such data can also be stored as text, but the JSON data types have the advantage'
        ' of enforcing that each stored value is valid according to the JSON rules. There are also assorted J'
        'SON-specific functions and operators available for data stored in these data types; see Section 9.16'
        '.\n\nPostgreSQL offers two types for storing JSON data: json and jsonb. To implement efficient query'
        ' mechanisms for these data types, PostgreSQL also provides the jsonpath data type described in Secti'
        'on 8.14.7.\n\nThe json and jsonb data types accept almost identical sets of values as input. The maj'
        'or practical difference is one of efficiency. The json data type stores an exact copy of the input t'
        'ext, which processing functions must reparse on each execution; while jsonb data is stored in a deco'
        'mposed binary format that makes it slightly slower to input due to added conversion overhead, but si'
        'gnificantly faster to process, since no reparsing is needed. jsonb also supports indexing, which can'
        ' be a significant advantage.\n\n## 8.14.4. jsonb Indexing\n\nGIN indexes can be used to efficiently '
        'search for keys or key/value pairs occurring within a large number of jsonb documents (datums). Two '
        'GIN “operator classes” are provided, offering different performance and flexibility trade-offs.\n\nT'
        'he default GIN operator class for jsonb supports queries with the key-exists operators ?, ?| and ?&,'
        ' the containment operator @>, and the jsonpath match operators @? and @@. (For details of the semant'
        'ics that these operators implement, see Table 9.46.) An example of creating an index with this opera'
        'tor class is:\n\nCREATE INDEX idxgin ON api USING GIN (jdoc);\n\nThe non-default GIN operator class '
        'jsonb_path_ops does not support the key-exists operators, but it does support @>, @? and @@. An exam'
        'ple of creating an index with this operator class is:\n\nCREATE INDEX idxginp ON api USING GIN (jdoc'
        ' jsonb_path_ops);\n\nConsider the example of a table that stores JSON documents retrieved from a thi'
        'rd-party web service, with a documented schema definition. A typical document is:\n'
    ),
    'datatype-net-types.md': (
        '# 8.9. Network Address Types\n\nPostgreSQL offers data types to store IPv4, IPv6, and MAC addresses,'
        ' as shown in Table 8.21. It is better to use these types instead of plain text types to store networ'
        'k addresses, because these types offer input error checking and specialized operators and functions '
        '(see Section 9.12).\n\nTable 8.21. Network Address Types\n\nName | Storage Size | Description\n\ncid'
        'r | 7 or 19 bytes | IPv4 and IPv6 networks\n\ninet | 7 or 19 bytes | IPv4 and IPv6 hosts and network'
        's\n\nmacaddr | 6 bytes | MAC addresses\n\nmacaddr8 | 8 bytes | MAC addresses (EUI-64 format)\n\nWhen'
        ' sorting inet or cidr data types, IPv4 addresses will always sort before IPv6 addresses, including I'
        'Pv4 addresses encapsulated or mapped to IPv6 addresses, such as ::10.2.3.4 or ::ffff:10.4.3.2.\n\n##'
        ' 8.9.1. inet\n\nThe inet type holds an IPv4 or IPv6 host address, and optionally its subnet, all in '
        'one field. The subnet is represented by the number of network address bits present in the host addre'
        'ss (the “netmask”). If the netmask is 32 and the address is IPv4, then the value does not indicate a'
        ' subnet, only a single host. In IPv6, the address length is 128 bits, so 128 bits specify a unique h'
        'ost address. Note that if you want to accept only networks, you should use the cidr type rather than'
        ' inet.\n\nThe input format for this type is address/y where address is an IPv4 or IPv6 address and y'
        ' is the number of bits in the netmask. If the /y portion is omitted, the netmask is taken to be 32 f'
        'or IPv4 or 128 for IPv6, so the value represents just a single host. On display, the /y portion is s'
        'uppressed if the netmask specifies a single host.\n'
    ),
    'intro-whatis.md': (
        '# 1. What Is PostgreSQL?\n\nPostgreSQL is an object-relational database management system (ORDBMS) b'
        'ased on POSTGRES, Version 4.2, developed at the University of California at Berkeley Computer Scienc'
        'e Department. POSTGRES pioneered many concepts that only became available in some commercial databas'
        'e systems much later.\n\nPostgreSQL is an open-source descendant of this original Berkeley code. It '
        'supports a large part of the SQL standard and offers many modern features:\n\ncomplex queries\n\nfor'
        'eign keys\n\ntriggers\n\nupdatable views\n\ntransactional integrity\n\nmultiversion concurrency cont'
        'rol\n\nAlso, PostgreSQL can be extended by the user in many ways, for example by adding new\n\ndata '
        'types\n\nfunctions\n\noperators\n\naggregate functions\n\nindex methods\n\nprocedural languages\n\nA'
        'nd because of the liberal license, PostgreSQL can be used, modified, and distributed by anyone free '
        'of charge for any purpose, be it private, commercial, or academic.\n'
    ),
    'locking-indexes.md': (
        "# 13.7. Locking and Indexes\n\nThough PostgreSQL provides nonblocking read/write access to table dat"
        "a, nonblocking read/write access is not currently offered for every index access method implemented "
        "in PostgreSQL. The various index types are handled as follows:\n\nB-tree, GiST and SP-GiST indexes\n"
        "\nShort-term share/exclusive page-level locks are used for read/write access. Locks are released imm"
        "ediately after each index row is fetched or inserted. These index types provide the highest concurre"
        "ncy without deadlock conditions.\n\nHash indexes\n\nShare/exclusive hash-bucket-level locks are used"
        " for read/write access. Locks are released after the whole bucket is processed. Bucket-level locks p"
        "rovide better concurrency than index-level ones, but deadlock is possible since the locks are held l"
        "onger than one index operation.\n\nGIN indexes\n\nShort-term share/exclusive page-level locks are us"
        "ed for read/write access. Locks are released immediately after each index row is fetched or inserted"
        ". But note that insertion of a GIN-indexed value usually produces several index key insertions per r"
        "ow, so GIN might do substantial work for a single value's insertion.\n\nCurrently, B-tree indexes of"
        "fer the best performance for concurrent applications; since they also have more features than hash i"
        "ndexes, they are the recommended index type for concurrent applications that need to index scalar da"
        "ta. When dealing with non-scalar data, B-trees are not useful, and GiST, SP-GiST or GIN indexes shou"
        "ld be used instead.\n"
    ),
    'indexes-intro.md': (
        '# 11.1. Introduction\n\nSuppose we have a table similar to this:\n\nCREATE TABLE test1 (\n    id int'
        'eger,\n    content varchar\n);\n\nand the application issues many queries of the form:\n\nSELECT con'
        'tent FROM test1 WHERE id = constant;\n\nWith no advance preparation, the system would have to scan t'
        'he entire test1 table, row by row, to find all matching entries. If there are many rows in test1 and'
        ' only a few rows (perhaps zero or one) that would be returned by such a query, this is clearly an in'
        'efficient method. But if the system has been instructed to maintain an index on the id column, it ca'
        'n use a more efficient method for locating matching rows. For instance, it might only have to walk a'
        ' few levels deep into a search tree.\n\nA similar approach is used in most non-fiction books: terms '
        'and concepts that are frequently looked up by readers are collected in an alphabetic index at the en'
        'd of the book. The interested reader can scan the index relatively quickly and flip to the appropria'
        'te page(s), rather than having to read the entire book to find the material of interest. Just as it '
        'is the task of the author to anticipate the items that readers are likely to look up, it is the task'
        ' of the database programmer to foresee which indexes will be useful.\n'
    ),
}


def report(tmp_path: Path, writer: list[str] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    index = make_index(tmp_path, PG_PAGES)
    choose = writer is not None
    agent = Agent(index, scripts(tmp_path, {"writer": writer or []}),
                  AgentConfig.model_validate({"research": {"choose_claims": choose}}))
    trace = TraceWriter(tmp_path / "run.jsonl")
    answer = Researcher(agent).run(QUESTION, trace)
    trace.close()
    assert answer.report_data is not None
    return answer.report_data, read_trace(tmp_path / "run.jsonl")


# the program's ranking alone, and a writer that picks the first two sentences it is shown in every section
@pytest.mark.parametrize("writer", [None, ["1, 2"] * 40], ids=["program", "scripted-writer"])
def test_one_section_per_core_index_type_each_saying_when_to_use_it(tmp_path: Path, writer: list[str] | None) -> None:
    data, events = report(tmp_path, writer)
    outline = next(e for e in events if e["type"] == "outline")
    assert outline["sections"][:6] == CORE and outline["origins"][:6] == ["anchor"] * 6
    refs = {r["n"]: r for r in data["references"]}
    sections = {s["title"]: s for s in data["sections"] if s["claims"]}
    assert [s["title"] for s in data["sections"]][:6] == CORE  # the enumerating page leads the report
    for title in CORE:
        s = sections[title]
        assert s["unanswered"] == [], s
        use = [c for c in s["claims"] if c["facet"] == "when to use"]
        assert use, s
        assert refs[use[0]["refs"][0]]["headings"][-1].endswith(title)  # from the type's own subsection
        said = " ".join(c["text"] for c in s["claims"])
        assert any(phrase in said for phrase in USE[title]), (title, said)
    # no section about data types, the product, or any other subject than indexes
    titles = " ".join(data["sections"][i]["title"] for i in range(len(data["sections"])))
    assert not any(t in titles for t in ("JSON Types", "Network Address", "What Is PostgreSQL"))
    for s in sections.values():
        assert "index" in (s["title"] + " " + " ".join(s["heading"])).lower(), s["title"]
    # every claim is a verified quote of its passage
    assert all(" ".join(r["quote"].split()) in " ".join(r["passage"].split()) for r in data["references"])


def test_the_html_report_reads_as_a_document(tmp_path: Path) -> None:
    from scent.research.render import from_dict, markdown, to_html

    data, _ = report(tmp_path)
    html = to_html(from_dict(data))
    body = html.split("<h2>References</h2>")[0]
    assert '<p class="lead">' in body and "<li>" not in body  # paragraphs, not bullets
    # claims joined into a paragraph read as sentences: the quoted sentence's full stop is put back before [n]
    assert "sorted into some ordering.<sup>" in body
    assert "\n- " in markdown(from_dict(data))  # markdown keeps its cited bullets
