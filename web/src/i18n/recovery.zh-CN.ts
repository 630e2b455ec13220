// 恢复重建页面的简体中文，随页面加载（i18n/index.ts: loadRecoveryMessages），待办页不必携带。
// Keys must match recovery.en.ts.
export default {
  hazard: { rainstorm_flood: '暴雨洪涝', flash_flood: '山洪', landslide: '滑坡', debris_flow: '泥石流', earthquake: '地震', wind_hail: '风雹', other: '其他' },
  grade: { A: 'A 级 · 安全', B: 'B 级 · 个别构件危险', C: 'C 级 · 局部危房', D: 'D 级 · 整幢危房', inaccessible: '无法进入' },
  gradeShort: { A: 'A', B: 'B', C: 'C', D: 'D', inaccessible: '无法进入' },
  gradeHint: {
    A: '结构安全，可正常使用。', B: '个别构件危险，结构基本满足安全使用。', C: '部分承重结构不能满足安全使用，属局部危房。', D: '承重结构已不能满足安全使用，属整幢危房。',
    inaccessible: '无法到达或进入房屋。',
  },
  fema: { affected: '受影响', minor: '轻微', major: '严重', destroyed: '毁坏', inaccessible: '无法进入' },
  plan: { repair: '维修加固', rebuild_in_place: '原址重建', relocate: '异地分散安置', resettle: '集中安置' },
  stage: { planned: '已立项', funded: '资金已批', under_construction: '施工中', completed: '已竣工', accepted: '已验收', moved_in: '已入住' },
  gate: { approval: '审批', start: '开工', foundation: '基础验收', roof: '主体封顶验收', completion: '竣工', final: '竣工验收', move_in: '入住', allocation: '分配安置房' },
  trancheStatus: { pending: '未拨付', released: '可拨付', paid: '已拨付' },
  recovery: {
    title: '恢复重建', disasters: '灾害事件', none: '您的辖区暂无灾害事件。', declaredBy: '发布区域', affected: '受灾区域 {n} 个',
    started: '开始', ended: '结束', ongoing: '持续中', target: '入住目标', overview: '总览', damageMap: '房屋损毁地图', cases: '重建户', assess: '房屋鉴定',
    asOf: '截至 {date}', daysLeft: '距入住目标还有 {n} 天', daysPast: '入住目标已过 {n} 天', targetToday: '今天是入住目标日',
    counts: '恢复重建数据', byGrade: '按鉴定等级', byStage: '按重建阶段', byPlan: '按重建方式', funds: '资金', schedule: '节点',
    children: '下级区域', noChildren: '没有下级区域', map: '下级区域地图', figure: '着色', late: '滞后 {n}', noHouses: '尚无鉴定房屋。',
  },
  rfig: {
    houses_assessed: '已鉴定房屋', rooms_collapsed: '倒塌房间', rooms_damaged: '损坏房间', households_affected: '受灾户', households_collapsed: '房屋倒塌户',
    cases: '重建户', moved_in: '已入住', late: '滞后', moved_in_share: '入住率', late_share: '滞后率', funds_approved: '批准', funds_released: '可拨付',
    funds_paid: '已拨付', c: 'C 级', d: 'D 级',
  },
  damage: { title: '房屋损毁地图', label: '{area}已鉴定房屋地图，按等级着色', legend: '显示的等级', loaded: '地图上 {n} 处房屋', loading: '正在加载房屋… {n}', clickHint: '点按房屋可打开。' },
  cases: { title: '重建户', stage: '阶段', plan: '方式', all: '全部', onlyLate: '仅滞后', household: '户', address: '房屋', grade: '等级', due: '下一节点' },
  case: {
    releases: '拨付第 {n} 笔', changeAmount: '修改金额', amountYuan: '拟批准金额（元）', cancelled: '已撤销', title: '重建户', household: '户', house: '房屋', grade: '鉴定等级', plan: '重建方式', changePlan: '更改重建方式', savePlan: '保存', stage: '阶段',
    late: '滞后', progress: '进度', gates: '节点', gate: '节点', effect: '效果', item: '事项', state: '状态', due: '期限', closed: '完成',
    notOpened: '尚未开启', tranches: '分笔拨付', tranche: '第 {n} 笔', share: '比例', amount: '金额', status: '状态', paidOn: '拨付日期',
    reference: '凭证号', recordPayment: '登记拨付', pay: '登记', approved: '批准', released: '可拨付', paid: '已拨付', openItem: '打开事项',
    noTranches: '尚未批准资金。', opened: '立项',
  },
  assess: {
    title: '房屋鉴定', house: '房屋', search: '地址', searchHint: '街道、组、门牌号', find: '查找', nearby: '附近的房屋', nearbyNone: '附近没有找到房屋。',
    distance: '{m} 米', chosen: '鉴定的房屋', change: '换一处', pick: '鉴定这处', grade: '鉴定等级', rooms_collapsed: '倒塌房间数', rooms_damaged: '损坏房间数',
    roomsOf: '房屋共 {n} 间。', household: '户', householdDefault: '房主户：{name}', noHousehold: '未登记户',
    note: '备注', assessed_on: '鉴定日期', where: '鉴定位置', whereHint: '留空则使用房屋坐标。', submit: '保存鉴定',
    sent: '鉴定已保存。', openCase: '打开重建户', openAssessment: '打开鉴定记录', another: '鉴定下一处',
    answering: '本次为申诉复核鉴定。', noHouses: '没有匹配的房屋。', searching: '查找中…',
  },
  assessment: {
    reason: '申诉理由', title: '鉴定记录', version: '第 {n} 版', versions: '历次鉴定', latest: '最新', ems98: 'EMS-98 等级', fema: 'FEMA PDA', assessor: '鉴定人',
    appeal: '申诉', appealHint: '住户对鉴定等级有异议：由另一名鉴定人复核。', appealed: '申诉处理中。',
    openAppeal: '打开申诉事项', reassess: '复核鉴定', photos: '照片', point: '鉴定位置', case: '重建户', none: '本次灾害尚未鉴定。',
  },
  houseRecovery: { title: '灾损鉴定', assess: '为「{name}」鉴定' },
}
